// Review 12d #3: a compliant charger back from an outage drains its queue one CALL at a time,
// each sent only after the agent answered the previous one (OCPP-J 1.6 §4.1.1) — at the agent's
// own answer speed. ChargerLink's token bucket (charger-link.ts countCall: 20/s, burst 80)
// counts those as a flood and closes the connection (1008) after ~80 of them; the charger
// reconnects (with its own back-off, minutes on many firmwares) and is cut again every 80
// messages. Two hours offline at a 10 s sampling interval is 720 queued MeterValues: nine
// forced disconnects before its StopTransaction is heard — a late settlement that can run past
// the commit deadline. A charger that waits for each answer cannot flood: the agent sets its pace.
// FAILS on lead5: the link is closed (1008) before the 200 queued samples are answered.
import { expect, it } from "vitest";
import { authorizeCmd, openRig, testConfig } from "../helpers.ts";
import { bootAndPlugIn, handCharger } from "../review12/hand.ts";

it("a charger draining 200 queued MeterValues one answered call at a time is not cut off as a flood", async () => {
  // The drain is paced at maxCallsPerSecond since review 12f #5 (call-pacer.ts: 200 calls at 20/s
  // is 6 s); at 50/s its burst covers them, keeping this test within the default tier's budget.
  const rig = await openRig(testConfig({ chargerSecondMs: 1000, maxCallsPerSecond: 50 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const t0 = Date.now() - 2 * 3600_000; // queued two hours ago (a slow car: 1 Wh per sample)
  const { transactionId: tx } = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date(t0).toISOString() })) as { transactionId: number };
  let answered = 0;
  let closedWith: number | undefined;
  void cp.closed.then((c) => (closedWith = c));
  for (let i = 1; i <= 200 && closedWith === undefined; i++) {
    const r = await cp.call("MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date(t0 + i * 10_000).toISOString(), sampledValue: [{ value: String(1000 + i) }] }] }, 1000).catch(() => undefined);
    if (r !== undefined) answered++;
  }
  expect({ answered, closedWith }).toEqual({ answered: 200, closedWith: undefined });
  cp.close();
});
