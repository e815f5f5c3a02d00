// Review 12 #8 (MEDIUM): configureCharger (charger-setup.ts) sent the required keys
// (MeterValuesSampledData, MeterValueSampleInterval, ConnectionTimeOut, StopTransactionOnInvalidId)
// and then the connectors' TriggerMessage(StatusNotification) inside one try: a CALLERROR to one
// required key — or a charger that never answers it — ended the setup there. After an agent
// restart the charger reconnects without booting, its cable already in (Preparing), and nobody asks
// for its status: no customer call until they unplug and plug again.
// Expected: the status is asked for whatever a required key's answer was, and the key's failure is
// an alarm that names it (OCPP_CONFIG_REFUSED) — later keys still set after a CALLERROR.
import { expect, it } from "vitest";
import { isCall, isFault, openRig, testConfig } from "../helpers.ts";
import { handCharger } from "../review12f/hand-silent.ts";

const KEY = "MeterValuesSampledData";

async function reconnectWithCablePlugged(answer: "callerror" | "silence") {
  const rig = await openRig(testConfig({ callTimeoutS: 1 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`, {
    silent: (action, p) => answer === "silence" && action === "ChangeConfiguration" && p.key === KEY,
    callError: (action, p) => (answer === "callerror" && action === "ChangeConfiguration" && p.key === KEY ? "NotImplemented" : undefined),
  });
  cp.status = "Preparing";
  // No BootNotification: a charger that only reconnects (the agent restarted) says nothing on its own.
  const asked = await cp.waitFor((f) => f[0] === 2 && f[2] === "TriggerMessage" && (f[3] as { requestedMessage?: string }).requestedMessage === "StatusNotification", 6_000).then(
    () => true,
    () => false,
  );
  const called = asked ? await rig.events.waitFor(isCall, 3_000).then(() => true, () => false) : false;
  const fault = await rig.events.waitFor((e) => isFault(e) && e.code === "OCPP_CONFIG_REFUSED" && e.message.includes(KEY), 3_000).then(() => true, () => false);
  const keysSent = cp.received.filter((f) => f[0] === 2 && f[2] === "ChangeConfiguration").map((f) => (f[3] as { key: string }).key);
  cp.close();
  return { asked, called, fault, keysSent };
}

it("a CALLERROR to a required key: alarmed, the other keys still set, the connector's status asked, the customer called", async () => {
  const r = await reconnectWithCablePlugged("callerror");
  expect({ asked: r.asked, called: r.called, fault: r.fault }).toEqual({ asked: true, called: true, fault: true });
  expect(r.keysSent).toEqual(expect.arrayContaining([KEY, "MeterValueSampleInterval", "ConnectionTimeOut", "StopTransactionOnInvalidId"]));
}, 20_000);

it("a required key never answered: alarmed, the connector's status still asked, the customer called", async () => {
  const r = await reconnectWithCablePlugged("silence");
  expect({ asked: r.asked, called: r.called, fault: r.fault }).toEqual({ asked: true, called: true, fault: true });
}, 20_000);
