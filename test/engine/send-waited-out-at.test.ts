// Issue 9 review 6 #3, the engine's side: a flow's sendInvoice held behind the terminal's yielding
// (superseding) send of its lost-send watch (agent/engine/terminal-sends.ts) tells the flow when it
// actually went out (input.outAt), so its margins count from then (test/core/send-waited.test.ts).
// Real GlaseClient over loopback SOAP to the simulator; the watch's send is held at the client by a
// gate, and the engine's clock is a manual one moved while it waits.
import { afterEach, expect, it } from "vitest";
import type { Effect } from "../../agent/core/effects.ts";
import type { FlowInput } from "../../agent/core/inputs.ts";
import { startPos } from "../../agent/core/pos.ts";
import { EffectExecutor, type PerformedEffect } from "../../agent/engine/effect-executor.ts";
import type { FlowRunner } from "../../agent/flows/runner.ts";
import { GlaseClient } from "../../agent/glase/client.ts";
import type { GlaseApi } from "../../agent/glase/types.ts";
import { createLogger } from "../../agent/log.ts";
import { parseProvisioning, startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { ctxAt } from "../core/helpers.ts";
import { PROVISION, TERMINALS } from "../flows/harness/station.ts";

let sim: RunningGlaseSimulator | undefined;
let client: GlaseClient | undefined;
afterEach(async () => {
  client?.close();
  await sim?.close();
  sim = client = undefined;
});

const TERMINAL = TERMINALS[2]!;

it("a sendInvoice that waited for the watch's superseding send reports when it went out; one that did not wait reports nothing", async () => {
  sim = await startGlaseSimulator({ port: 0, provision: parseProvisioning(PROVISION) });
  client = new GlaseClient({ endpoint: sim.endpoint, clientId: "glase-agent-test", timeoutMs: 2000 });
  await client.ready();
  const real = client;
  let openGate!: () => void;
  const gate = new Promise<void>((r) => (openGate = r));
  let watchSendAsked!: () => void;
  const watchSendOut = new Promise<void>((r) => (watchSendAsked = r));
  // The watch's send (clientReference W…) is held until the gate opens: its answer is "out" meanwhile.
  const glase = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== "sendInvoice") return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<GlaseApi["sendInvoice"]>) => {
        if (args[3]?.clientReference?.startsWith("W")) {
          watchSendAsked();
          await gate;
        }
        return target.sendInvoice(...args);
      };
    },
  }) as GlaseApi;
  let now = 1_000;
  const executor = new EffectExecutor({
    glase,
    credentials: { terminal: (id) => (id === TERMINAL.terminalId ? TERMINAL : undefined) },
    points: undefined as never,
    alarms: undefined as never,
    receipts: undefined as never,
    logger: createLogger("test.executor"),
    callTimeoutMs: 2000,
    statusTimeoutMs: 2000,
    terminalHeld: () => false,
    now: () => now,
  } as ConstructorParameters<typeof EffectExecutor>[0]);
  const pos = startPos({ flowId: "k1", point: 9, terminalId: TERMINAL.terminalId, currency: "SEK", stationName: "K", amountMinor: 2500 }, ctxAt(now));
  const send = pos.effects.find((e): e is Extract<Effect, { type: "glase" }> => e.type === "glase")!;
  expect(send.call.op).toBe("sendInvoice");
  const posRunner = { flowId: "k1", state: pos.state } as unknown as FlowRunner;
  const watchRunner = { flowId: "Wk0", state: { kind: "send-watch", terminalId: TERMINAL.terminalId } } as unknown as FlowRunner;
  const superseding: PerformedEffect = { type: "glase", ref: "Wk0-1", call: send.call, yieldsToHolder: true };

  // Without a yielding send out, the flow's send goes at once: no outAt.
  const direct = await executor.perform(posRunner, send);
  expect(direct).toMatchObject({ type: "glase", op: "sendInvoice", outcome: { kind: "ok" } });
  expect((direct as Extract<FlowInput, { type: "glase" }>).outAt).toBeUndefined();

  const watchAnswer = executor.perform(watchRunner, superseding);
  await watchSendOut;
  const flowAnswer = executor.perform(posRunner, { ...send, ref: "k1-2" });
  now = 4_000; // the watch's answer takes 3 s
  openGate();
  expect(await watchAnswer).toMatchObject({ type: "glase", op: "sendInvoice", outcome: { kind: "ok" } });
  const answered = (await flowAnswer) as Extract<FlowInput, { type: "glase" }>;
  expect(answered).toMatchObject({ type: "glase", op: "sendInvoice", ref: "k1-2", outcome: { kind: "ok" } });
  // b25f978: no outAt — the flow counted its margins from 1 000, three seconds before its send left.
  expect(answered.outAt).toBe(4_000);
}, 20_000);
