// Review 13e E1: a RemoteStartTransaction answered Rejected after the charger already sent (and
// the agent accepted) the StartTransaction for it — the session is cancelled with 0 Wh while it
// is delivering: no RemoteStop is ever sent, the flow cancels the reservation, the energy is free.
// Sessions.authorize (sessions.ts) awaits the RemoteStart's answer and, for any status but
// Accepted, calls ending.finish(..., { reason: "stopped", endedBy: "canceled" }, { silent }) —
// finish() ends whatever the session is now. The charger's calls are handled while the agent's
// RemoteStart is outstanding (ocpp-rpc: inbound and outbound are independent), so a firmware
// whose RemoteStart handler starts the transaction (StartTransaction sent and answered Accepted
// with a transactionId) and then reports Rejected (its own timeout, a relay check failing late, or
// plain malice) has its *delivering* session finished silently at 0 Wh. authorize() rejects
// CHARGER_REFUSED, the flow reads the sale record — finished, 0 — and cancels the reservation.
// Nothing stops the charger: the session is finished, so no limit stop, no session-time stop,
// its MeterValues are ignored; the StopTransaction, when it comes, is only an OCPP_LATE_STOP.
import WebSocket from "ws";
import { expect, it } from "vitest";
import { authorizeCmd, isCall, isEnd, openRig, scriptedTime, synced, testConfig } from "../drivers/ocpp16/helpers.ts";

it("a session the charger started is not cancelled at 0 Wh by a RemoteStart answered Rejected afterwards", async () => {
  const rig = await openRig(scriptedTime(testConfig({ maxSessionS: 3600 })));
  const ws = new WebSocket(`${rig.driver.url}/CP-1`, ["ocpp1.6"]);
  const received: unknown[][] = [];
  const pending = new Map<string, (v: unknown) => void>();
  let n = 0;
  const call = (action: string, params: unknown) =>
    new Promise<unknown>((resolve) => {
      const id = `c${++n}`;
      pending.set(id, resolve);
      ws.send(JSON.stringify([2, id, action, params]));
    });
  let startedTx: number | undefined;
  ws.on("message", (data) => {
    const f = JSON.parse(String(data)) as unknown[];
    received.push(f);
    if (f[0] === 3 || f[0] === 4) return void pending.get(f[1] as string)?.(f[2]);
    const [, id, action, p] = f as [number, string, string, Record<string, unknown>];
    const reply = (payload: unknown) => ws.send(JSON.stringify([3, id, payload]));
    if (action === "RemoteStartTransaction") {
      // The firmware starts the transaction inside its RemoteStart handler, then answers Rejected.
      void (async () => {
        const conf = (await call("StartTransaction", { connectorId: 1, idTag: p.idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number; idTagInfo: { status: string } };
        startedTx = conf.idTagInfo.status === "Accepted" ? conf.transactionId : undefined;
        await call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
        reply({ status: "Rejected" });
      })();
    } else if (action === "TriggerMessage") reply({ status: "NotImplemented" });
    else reply({ status: "Accepted" });
  });
  await new Promise<void>((r) => ws.once("open", () => r()));
  await call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available" });
  await synced(rig);
  await call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
  await rig.events.waitFor(isCall);
  const authorized = await rig.driver.authorize(authorizeCmd({ limitMinor: 30_000 })).then(
    () => "ok",
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );
  // The charger charges on (it was told Accepted for its transaction and never told to stop).
  for (let wh = 1100; wh <= 3000; wh += 100) {
    await call("MeterValues", { connectorId: 1, transactionId: startedTx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh), unit: "Wh" }] }] });
    await new Promise((r) => setTimeout(r, 20));
  }
  const record = await rig.driver.saleRecord("P1-flow-1");
  const stops = received.filter((f) => f[2] === "RemoteStopTransaction").length;
  ws.close();
  expect(startedTx).toBeDefined(); // the agent accepted the charger's StartTransaction for the flow's tag
  // Fails: authorize → DEVICE_REJECTED, record { state: "finished", milli: 0 }, no RemoteStop — 2000 Wh delivered for nothing.
  expect({ finishedAtZero: record?.state === "finished" && record.milli === 0, stopsSent: stops > 0 || record?.state !== "finished" }).toEqual({ finishedAtZero: false, stopsSent: true });
  expect(rig.events.events.filter(isEnd).length).toBe(0); // (no end event either: finish was silent)
  void authorized;
}, 30_000);
