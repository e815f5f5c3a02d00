// Review 12g #2: the three new ChangeConfiguration calls (OFFLINE_AUTH_KEYS: AuthorizationCacheEnabled,
// LocalAuthorizeOffline, AllowOfflineTxForUnknownId — two of them optional in OCPP 1.6) were put
// in configureCharger (charger-setup.ts:41-46) BEFORE the connectors' TriggerMessage(StatusNotification)
// (:47-51), inside one try whose catch (:52) ends the whole setup. A charger that answers one of
// those keys with a CALLERROR (firmware without an Authorization Cache: "NotSupported" as an RPC
// error instead of a conf status) — or never answers it — therefore never gets asked for its
// connectors' status. After an agent restart (fail-stop exits and systemd restarts it) the charger
// reconnects without booting, its cable is already in (Preparing), and nobody asks: no `call`, the
// waiting customer cannot pay until they unplug and plug again; an open session's connector stays
// unknown, so the "ended without StopTransaction" path never arms.
// Expected: the status of every mapped connector is asked for whatever an optional key's answer was.
import { expect, it } from "vitest";
import { isCall, openRig, testConfig } from "../helpers.ts";
import { handCharger } from "../review12f/hand-silent.ts";

async function reconnectWithCablePlugged(answer: "callerror" | "notsupported") {
  const rig = await openRig(testConfig());
  const cp = await handCharger(`${rig.driver.url}/CP-1`, {
    silent: (action, p) => action === "ChangeConfiguration" && p.key === "AuthorizationCacheEnabled",
  });
  cp.status = "Preparing";
  cp.ws.on("message", (data) => {
    const f = JSON.parse(String(data)) as [number, string, string, Record<string, unknown>];
    if (f[0] === 2 && f[2] === "ChangeConfiguration" && f[3].key === "AuthorizationCacheEnabled") {
      cp.sendRaw(JSON.stringify(answer === "callerror" ? [4, f[1], "NotSupported", "no authorization cache", {}] : [3, f[1], { status: "NotSupported" }]));
    }
  });
  // No BootNotification: a charger that only reconnects (the agent restarted) says nothing on its own.
  const asked = await cp.waitFor((f) => f[0] === 2 && f[2] === "TriggerMessage" && (f[3] as { requestedMessage?: string }).requestedMessage === "StatusNotification", 4_000).then(
    () => true,
    () => false,
  );
  const called = asked ? await rig.events.waitFor(isCall, 3_000).then(() => true, () => false) : false;
  cp.close();
  return { asked, called };
}

it("control: NotSupported as a conf status — the connector's status is asked for, the customer is called", async () => {
  expect(await reconnectWithCablePlugged("notsupported")).toEqual({ asked: true, called: true });
}, 15_000);

it("a CALLERROR to the optional AuthorizationCacheEnabled key still lets the agent ask for the connectors' status", async () => {
  const r = await reconnectWithCablePlugged("callerror");
  console.log(`review12g config: status asked ${r.asked}, customer called ${r.called}`);
  expect(r).toEqual({ asked: true, called: true });
}, 15_000);
