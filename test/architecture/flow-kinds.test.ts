// The per-flow-kind descriptors (agent/flows/kinds/) are the one place a kind is described: every
// kind of the core's FlowState has one whose machine is the one core's transition runs, and the
// engine and its parts do not switch on flow kinds (a new kind would have to be taught to each).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { transitionPos } from "../../agent/core/pos.ts";
import { transitionPreliminary } from "../../agent/core/preliminary.ts";
import { transitionReconciliation } from "../../agent/core/reconciliation.ts";
import { transitionRefund } from "../../agent/core/refund.ts";
import { transitionSendWatch } from "../../agent/core/send-watch.ts";
import { FLOW_KINDS, PAYMENT_FLOW_KINDS, isPaymentFlowKind } from "../../agent/flows/kinds/registry.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("flow-kind descriptors", () => {
  it("one descriptor per kind, named by its kind, running core's machine", () => {
    expect([...PAYMENT_FLOW_KINDS].sort()).toEqual(["pos", "preliminary", "reconciliation", "refund", "send-watch"]);
    for (const [kind, d] of Object.entries(FLOW_KINDS)) expect(d.kind).toBe(kind);
    expect(FLOW_KINDS.preliminary.machine).toBe(transitionPreliminary);
    expect(FLOW_KINDS.pos.machine).toBe(transitionPos);
    expect(FLOW_KINDS.refund.machine).toBe(transitionRefund);
    expect(FLOW_KINDS.reconciliation.machine).toBe(transitionReconciliation);
    expect(FLOW_KINDS["send-watch"].machine).toBe(transitionSendWatch);
    expect(isPaymentFlowKind("kiosk-sale")).toBe(false);
    expect(isPaymentFlowKind("toString")).toBe(false);
  });

  it("the engine, its parts and the flow plumbing have no switch on a flow kind", () => {
    const files = ["agent/engine.ts", ...readdirSync(`${ROOT}agent/engine`).map((f) => `agent/engine/${f}`), "agent/flows/runner.ts", "agent/flows/recovery.ts", "agent/flows/snapshot.ts", "agent/flows/terminal-periods.ts"];
    const kindTest = /\bkind\s*[!=]==\s*"(preliminary|pos|refund|reconciliation)"|case\s+"(preliminary|pos|refund|reconciliation)"/;
    const offenders = files.filter((f) => kindTest.test(readFileSync(`${ROOT}${f}`, "utf8")));
    expect(offenders).toEqual([]);
    for (const f of files) expect(readFileSync(`${ROOT}${f}`, "utf8").split("\n").length, f).toBeLessThan(400);
  });
});
