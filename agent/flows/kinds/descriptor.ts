// What the shell knows about one payment-flow kind, in one place: how it starts, how it reacts
// (its pure machine in agent/core/), what it journals, whose Glase credentials its calls use, how
// a point and `ctl flows` show it, what it answers its caller, and how it uses its terminal's
// reconciliation period. One file per kind beside this one; agent/flows/kinds/registry.ts looks
// them up by the state's `kind`. The engine, recovery, the runner and the read models ask the
// descriptor instead of switching on kinds, so adding a flow is one new descriptor file (see
// ARCHITECTURE.md, "Adding a payment flow").
import type { FlowContext } from "../../core/effects.ts";
import type { Step } from "../../core/flow.ts";
import type { FlowInput } from "../../core/inputs.ts";
import type { LostSend } from "../../core/send-watch.ts";
import type { FlowState, Machine } from "../../core/transition.ts";
import type { PointDisplayState } from "../../engine-api.ts";
import type { ResellerCredentials, TerminalCredentials } from "../../../contracts/glase/types.ts";
import type { GlaseCallTarget } from "../glase-executor.ts";

/** The credentials a flow's Glase calls may be made with. */
export interface StationCredentials {
  terminal(terminalId: string): TerminalCredentials | undefined;
  readonly reseller?: ResellerCredentials;
}

/** What a point serving a flow shows (status socket, `ctl top`). */
export interface PointView {
  readonly state: PointDisplayState;
  readonly amountMinor?: number;
  readonly milli?: number;
}

/**
 * How a flow uses its terminal's reconciliation period (agent/flows/terminal-periods.ts): a refund
 * checks with it until resolved; a terminal reconciliation marks it.
 */
export type PeriodUse = "checks" | "marks";

export interface FlowKindDescriptor<S extends FlowState, Start = unknown, Result = never> {
  readonly kind: S["kind"];
  /** Its first state and effects; the engine journals the state before any effect runs. */
  start(params: Start, ctx: FlowContext): Step<S>;
  /**
   * How it reacts to every input, `recover` included (agent/core/transition.ts dispatches to the
   * same machine; recovery needs nothing else: it feeds `recover` to every unfinished flow).
   */
  readonly machine: Machine<S>;
  /** The journal row's keys besides flow id and kind (the `point` / `terminalId` columns). */
  journalKeys(s: S): { readonly point?: number; readonly terminalId?: string };
  /** Whether a running flow of this kind occupies its point: no other customer starts there. */
  readonly holdsPoint: boolean;
  /** Whose credentials its Glase calls use. */
  glaseTarget(s: S, station: StationCredentials): GlaseCallTarget;
  /** The money figure worth showing, and the reference a technician looks it up by. */
  amountOf(s: S): number | undefined;
  ersReferenceOf(s: S): string | undefined;
  /** What its point shows while it runs there (only kinds that hold their point). */
  pointView?(s: S): PointView;
  /**
   * What ends it sooner when a drain ends sessions (a delivery stopped and settled at what was
   * metered); undefined: it is left to finish by itself (or to recovery, if the bound expires).
   */
  drainInput?(s: S): FlowInput | undefined;
  /** What it answers the caller that waits for it once it finished or parked (a result or an AgentError). */
  resultOf?(flowId: string, s: S): Result;
  /** How it uses its terminal's period while unfinished (none: undefined). */
  periodUse?(s: S): PeriodUse | undefined;
  /**
   * The sendInvoices of a finished flow that were never answered and never seen land: they may
   * still open invoices on the terminal — the engine hands them to the terminal's lost-send watch.
   */
  lostSendsOf?(s: S): readonly LostSend[];
  /**
   * A finished sale that may hold a payment of its own without knowing its ersReference (review 8
   * #1: settled-manually without it): a claim on the terminal's PAIDs nobody else claims — the
   * terminal's watch never calls one "nothing was released" while such a sale is on it.
   */
  ownPaymentUnknown?(s: S): boolean;
  /** A period it leaves held when it ends (a lost mark that may still be processed): the terminal. */
  periodHeldAfter?(s: S): string | undefined;
}

/** A kind whose starter waits for its answer (refund, reconciliation): resultOf is given. */
export type WithResult<D> = D & Required<Pick<D & { resultOf?: unknown }, "resultOf">>;
