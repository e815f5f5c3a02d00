// Performs a flow's effects (all but its timers, which the runner keeps): Glase calls with the
// credentials the flow's kind names, the dispenser's authorize/stop/sale record, the point's
// display, receipts, alarms and a kiosk's release. Each comes back as the input the flow expects;
// a failure is an answer (ok: false, an outcome), never a throw, so the flow decides what it means.
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserController } from "../../contracts/dispenser.ts";
import type { GlaseApi } from "../../contracts/glase/types.ts";
import type { Effect } from "../core/effects.ts";
import type { FlowInput } from "../core/inputs.ts";
import type { PaymentEngineOptions } from "../engine-api.ts";
import { performDispenserEffect } from "../flows/dispenser-link.ts";
import { executeGlaseCall } from "../flows/glase-executor.ts";
import type { StationCredentials } from "../flows/kinds/descriptor.ts";
import { flowKind } from "../flows/kinds/registry.ts";
import type { ReceiptDesk } from "../flows/receipt-desk.ts";
import type { FlowRunner } from "../flows/runner.ts";
import type { EngineAlarms } from "./alarm-log.ts";
import type { StationPoints } from "./point-admission.ts";
import { TerminalSends } from "./terminal-sends.ts";

export type PerformedEffect = Exclude<Effect, { type: "startTimer" | "cancelTimer" }>;

export interface EffectExecutorDeps {
  readonly glase: GlaseApi;
  readonly dispenser?: DispenserController;
  readonly release?: PaymentEngineOptions["release"];
  readonly credentials: StationCredentials;
  readonly points: StationPoints;
  readonly alarms: EngineAlarms;
  readonly receipts: ReceiptDesk;
  readonly logger: Logger;
  readonly callTimeoutMs: number;
  /** getPaymentStatus is polled every second: its timeout is shorter than other calls'. */
  readonly statusTimeoutMs: number;
  /** Whether a flow that holds its point runs on the terminal (a yielding send is then withheld). */
  readonly terminalHeld: (terminalId: string) => boolean;
  /** The engine's clock: when a waiting sendInvoice went out. */
  readonly now: () => number;
}

export class EffectExecutor {
  private readonly sends: TerminalSends;

  constructor(private readonly d: EffectExecutorDeps) {
    this.sends = new TerminalSends(d.terminalHeld);
  }

  async perform(runner: FlowRunner, effect: PerformedEffect): Promise<FlowInput | undefined> {
    switch (effect.type) {
      case "glase": {
        const target = flowKind(runner.state).glaseTarget(runner.state, this.d.credentials);
        const call = () =>
          executeGlaseCall(this.d.glase, target, effect.call, {
            clientReference: effect.ref,
            timeoutMs: effect.call.op === "getPaymentStatus" ? this.d.statusTimeoutMs : this.d.callTimeoutMs,
          });
        // One terminal's sends never overlap a yielding one (terminal-sends.ts); checked as the call goes out.
        const terminalId = target.terminal?.terminalId;
        let outcome;
        if (effect.yieldsToHolder && terminalId !== undefined) {
          const made = this.sends.yielding(terminalId, call);
          if (made === undefined) return { type: "withheld", ref: effect.ref };
          outcome = await made;
        } else if (effect.call.op === "sendInvoice") {
          let outAt: number | undefined;
          outcome = await this.sends.after(terminalId, (waited) => {
            if (waited) outAt = this.d.now();
            return call();
          });
          // (It waited behind a yielding send: the flow counts its answer and re-send margins from now.)
          if (outAt !== undefined) return { type: "glase", op: effect.call.op, ref: effect.ref, outcome, outAt };
        } else outcome = await call();
        return { type: "glase", op: effect.call.op, ref: effect.ref, outcome };
      }
      case "authorize":
      case "stop":
      case "saleRecord":
        return performDispenserEffect(this.d.dispenser, effect, runner.flowId, this.d.logger);
      case "display":
        this.d.points.display(effect.point, effect.text);
        return undefined;
      case "print":
        return { type: "printed", ok: await this.d.receipts.print(runner.flowId, effect.receipt, paidAtOf(runner.state)) };
      case "alarm":
        this.d.alarms.raiseAlarm(runner.state, effect.code, effect.message);
        return undefined;
      case "release": {
        let ok = true;
        if (this.d.release) ok = await this.d.release(effect.point, effect.amountMinor, runner.flowId).then(() => true, () => false);
        return { type: "released", ok };
      }
      default: {
        const never: never = effect;
        throw new AgentError("INTERNAL", `unknown effect ${JSON.stringify(never)}`);
      }
    }
  }
}

/** When a POS flow's sale was PAID (its state keeps it); other flows' receipts are kept as they settle. */
function paidAtOf(state: unknown): number | undefined {
  const at = (state as { kind?: unknown; paidAt?: unknown }).paidAt;
  return typeof at === "number" ? at : undefined;
}
