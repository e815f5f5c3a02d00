// Review 12b #7: a StartTransaction for a session the agent already cancelled (stop or unplug
// while the RemoteStart was on its way / queued) is answered Invalid — and only when the cancel
// raced the id allocation is the charger also told to stop (stopStray). On the other path
// (sessions.ts:185-191) no RemoteStopTransaction follows: a charger with
// StopTransactionOnInvalidId=false keeps the transaction (up to MaxEnergyOnInvalidId for free,
// the connector blocked), and the agent never sets StopTransactionOnInvalidId itself.
import { expect, it } from "vitest";
import { authorizeCmd, isEnd, openRig, waitUntil } from "../helpers.ts";
import { bootAndPlugIn, handCharger } from "../review12/hand.ts";

it("a StartTransaction for a cancelled session is refused AND stopped", async () => {
  const rig = await openRig();
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  const connectedAt = Date.now();
  await bootAndPlugIn(rig, cp);
  await waitUntil(() => Date.now() - connectedAt > 1700); // lateStopWaitS (1.5 s) since connect
  await rig.driver.authorize(authorizeCmd());
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  await rig.driver.stop(1); // the customer (or a drain that ends sessions) stops before the charger started
  expect((await rig.events.waitFor(isEnd)).milli).toBe(0); // cancelled: invoice cancelled, nothing paid
  // ...but the charger had accepted the RemoteStart and starts now
  const conf = (await cp.call("StartTransaction", { connectorId: 1, idTag: rs[3].idTag, meterStart: 1000, timestamp: new Date().toISOString() })) as { transactionId: number; idTagInfo: { status: string } };
  expect(conf.idTagInfo.status).toBe("Invalid");
  const stop = await cp.waitFor((f) => f[2] === "RemoteStopTransaction" && (f[3] as { transactionId: number }).transactionId === conf.transactionId, 2000).catch(() => undefined);
  expect(stop, "no RemoteStopTransaction for the refused transaction").toBeDefined();
  cp.close();
});
