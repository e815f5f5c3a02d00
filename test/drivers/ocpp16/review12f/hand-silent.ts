// Review 12f: review12/hand.ts plus `silent`: calls the charger never answers, and `callError`:
// calls it answers with a CALLERROR (from the first frame on, before any listener of a test).
// Review 12: a charger driven by hand over a raw `ws` WebSocket — no OCPP library on this side,
// so the charger can send exactly what a real (or hostile) one sends. It answers the agent's
// calls the way a compliant charger does (ChangeConfiguration/TriggerMessage/RemoteStart/
// RemoteStop Accepted) and records them.
import WebSocket from "ws";

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

export async function handCharger(url: string, opts: { headers?: Record<string, string>; answerRemoteStop?: boolean; trigger?: boolean; meterValues?: () => unknown; silent?: (action: string, params: Record<string, unknown>) => boolean; callError?: (action: string, params: Record<string, unknown>) => string | undefined } = {}): Promise<HandCharger> {
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
    if (opts.silent?.(action, p)) return; // never answered (a firmware that drops what it does not support)
    const errorCode = opts.callError?.(action, p); // answered with a CALLERROR of this code
    if (errorCode !== undefined) return void ws.send(JSON.stringify([4, id, errorCode, `${action} refused by hand`, {}]));
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
