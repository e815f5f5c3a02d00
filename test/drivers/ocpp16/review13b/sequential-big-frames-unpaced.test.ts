// Review 13b #2 (MEDIUM; fixed: such frames run a debt, and a burst of debt closes the link as a flood): the parse bound of big frames holds only for calls a handler runs.
// charger-link.ts charges a frame's size to the charger's work bucket (call-pacer.ts: "what a
// charger can make the agent parse per second stays maxCallsPerSecond × FRAME_TOKEN_BYTES") — but
// that debt is only ever waited for by the NEXT HANDLED call (paced()). A call ocpp-rpc answers
// itself (an unknown action: NotImplemented; a schema-invalid payload: a CALLERROR) runs no handler,
// and costs a flood token only when pipelined; a charger (or anyone with its id: profile 0 needs
// no password) that waits for each answer is neither slowed nor closed. So it can make the agent
// read, UTF-8-decode and JSON.parse 1 MiB frames back to back for as long as it likes, on the
// daemon's one thread: every other charger's answers (and the Glase polls) wait behind them.
// Sequence: maxCallsPerSecond 20 (burst 80 tokens = 5 MiB); a charger sends 1 MiB
// [2,id,"VendorFoo",{…}] frames, each after the answer to the previous one, for 2 s.
import { expect, it } from "vitest";
import { openRig, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("a charger sending 1 MiB unanswerable frames one at a time is held to maxCallsPerSecond × 64 KiB, or closed", async () => {
  const rig = await openRig(testConfig({ maxCallsPerSecond: 20, chargers: [{ id: "CP-1", connectors: [{ connectorId: 1, point: 1 }] }, { id: "CP-2", connectors: [{ connectorId: 1, point: 2 }] }] }));
  const attacker = await handCharger(`${rig.driver.url}/CP-1`, { trigger: false });
  const other = await handCharger(`${rig.driver.url}/CP-2`, { trigger: false });
  let open = true;
  void attacker.closed.then(() => (open = false));
  const body = `{"x":[${"0,".repeat(520_000)}0]}`; // ~1 MiB of JSON, below maxFrameBytes
  let answered = 0;
  const answers = new Map<string, () => void>();
  attacker.ws.on("message", (d) => answers.get((JSON.parse(String(d)) as unknown[])[1] as string)?.());
  const t0 = Date.now();
  const rtts: number[] = [];
  const otherLoop = (async () => {
    while (Date.now() - t0 < 2_000) {
      const s = Date.now();
      await other.call("Heartbeat", {}, 5_000);
      rtts.push(Date.now() - s);
      await new Promise((r) => setTimeout(r, 20)); // a charger's own pace, not a synchronisation
    }
  })();
  for (let i = 0; open && Date.now() - t0 < 2_000; i++) {
    const id = `big${i}`;
    const got = new Promise<boolean>((resolve) => {
      answers.set(id, () => resolve(true));
      void attacker.closed.then(() => resolve(false));
    });
    attacker.sendRaw(`[2,"${id}","VendorFoo",${body}]`);
    if (!(await got)) break;
    answered++;
  }
  await otherLoop;
  const elapsedS = (Date.now() - t0) / 1000;
  // 64 KiB a token: the 80-token burst is 5 frames of 1 MiB (16 tokens each), then 1.25 a second;
  // the link closes once unhandled frames run a burst of debt beyond it (call-pacer.ts overdrawn():
  // a charger whose frames are handled waits its debt, so it never gets there) — two bursts in all.
  const bound = Math.ceil((2 * 80 + 20 * elapsedS) / 16) + 1;
  console.log({ answered, bound, open, elapsedS, otherRttMaxMs: Math.max(...rtts) });
  expect({ parsedMiB: answered <= bound ? "within the bound" : answered, closedOrSlowed: !open || answered <= bound }).toEqual({ parsedMiB: "within the bound", closedOrSlowed: true });
  attacker.close();
  other.close();
}, 20_000);
