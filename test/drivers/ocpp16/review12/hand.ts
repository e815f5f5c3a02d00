// Review 12: a charger driven by hand over a raw `ws` WebSocket — no OCPP library on this side,
// so the charger can send exactly what a real (or hostile) one sends. It answers the agent's
// calls the way a compliant charger does (ChangeConfiguration/TriggerMessage/RemoteStart/
// RemoteStop Accepted) and records them.
import WebSocket from "ws";
import { isCall, synced, type Rig } from "../helpers.ts";

export interface HandCharger {
  readonly ws: WebSocket;
  readonly received: unknown[][];
  call(action: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  sendRaw(text: string): void;
  waitFor(pred: (f: unknown[]) => boolean, ms?: number): Promise<unknown[]>;
  status: string;
  close(): void;
  closed: Promise<number>;
}

export async function handCharger(url: string, opts: { headers?: Record<string, string>; answerRemoteStop?: boolean; trigger?: boolean; meterValues?: () => unknown } = {}): Promise<HandCharger> {
  const ws = new WebSocket(url, ["ocpp1.6"], opts.headers ? { headers: opts.headers } : {});
  const received: unknown[][] = [];
  const pending = new Map<string, (v: unknown) => void>();
  const waiters: Array<{ pred: (f: unknown[]) => boolean; resolve: (f: unknown[]) => void }> = [];
  let n = 0;
  let closedResolve!: (c: number) => void;
  const closed = new Promise<number>((r) => (closedResolve = r));
  const self: HandCharger = {
    ws,
    received,
    status: "Available",
    call(action, params, timeoutMs = 5000) {
      const id = `h${++n}`;
      ws.send(JSON.stringify([2, id, action, params]));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${action} ${id} unanswered`)), timeoutMs);
        pending.set(id, (v) => {
          clearTimeout(t);
          resolve(v);
        });
      });
    },
    sendRaw: (t) => ws.send(t),
    waitFor(pred, ms = 5000) {
      const hit = received.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("frame not seen")), ms);
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)) });
      });
    },
    close: () => ws.close(),
    closed,
  };
  ws.on("close", (code) => closedResolve(code));
  ws.on("message", (data) => {
    const f = JSON.parse(String(data)) as unknown[];
    received.push(f);
    for (const w of [...waiters]) if (w.pred(f)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(f));
    if (f[0] === 3 || f[0] === 4) {
      pending.get(f[1] as string)?.(f[0] === 3 ? f[2] : { callError: f[2] });
      return;
    }
    const [, id, action, p] = f as [number, string, string, Record<string, unknown>];
    const reply = (payload: unknown) => ws.send(JSON.stringify([3, id, payload]));
    if (action === "TriggerMessage" && opts.trigger === false) reply({ status: "NotImplemented" });
    else if (action === "TriggerMessage") {
      reply({ status: "Accepted" });
      if (p.requestedMessage === "StatusNotification") void self.call("StatusNotification", { connectorId: p.connectorId ?? 1, errorCode: "NoError", status: self.status }).catch(() => undefined);
      // `meterValues`: the register now, as a triggered MeterValues (context "Trigger"), sent after the answer.
      if (p.requestedMessage === "MeterValues" && opts.meterValues) void self.call("MeterValues", opts.meterValues()).catch(() => undefined);
    } else if (action === "RemoteStopTransaction") reply({ status: opts.answerRemoteStop === false ? "Rejected" : "Accepted" });
    else reply({ status: "Accepted" });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return self;
}

export const sample = (tx: number, wh: number, extra: Record<string, unknown> = {}, connectorId = 1) => ({
  connectorId,
  transactionId: tx,
  meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh), measurand: "Energy.Active.Import.Register", unit: "Wh", ...extra }] }],
});

/**
 * How most review scenarios begin: the charger boots and reports connector 1 Available; once the
 * driver has synced, a car is plugged in (Preparing) and the driver calls the agent.
 */
export async function bootAndPlugIn(rig: Rig, cp: HandCharger): Promise<void> {
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  cp.status = "Preparing";
  await cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
}

/**
 * The agent's RemoteStartTransaction answered by the charger's StartTransaction on connector 1
 * (meterStart 1000 Wh, with the tag it was given), stamped by `clock` — the charger's clock, read
 * once the RemoteStart has arrived. The transaction id the agent assigned, and the stamp.
 */
export async function startTransaction(cp: HandCharger, clock: () => number = Date.now): Promise<{ readonly tx: number; readonly stampedAt: number }> {
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const stampedAt = clock();
  const { transactionId } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date(stampedAt).toISOString() })) as { transactionId: number };
  return { tx: transactionId, stampedAt };
}

/**
 * A charger that answered the RemoteStop Accepted and charges on: a live sample of 10 Wh more
 * every 200 ms (its sampling interval, the device's own pace, not a synchronisation) from
 * `fromWh`, until `ended` (the agent giving up on it) settles either way.
 */
export async function chargeOnUntil(cp: HandCharger, ended: Promise<unknown>, sample: (wh: number) => unknown, fromWh: number): Promise<void> {
  let wh = fromWh;
  let done = false;
  void ended.then(() => (done = true), () => (done = true));
  while (!done) {
    await cp.call("MeterValues", sample((wh += 10))).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
}
