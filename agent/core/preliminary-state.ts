// The state of a preliminary payment flow (agent/core/preliminary.ts): its phases, what it
// remembers between steps, and what starts it.
import type { Grade, QuantityUnit } from "../../drivers/dispenser/contract.ts";
import type { ReceiptContent } from "../../drivers/printer/contract.ts";
import type { FlowBase } from "./flow.ts";

export type PreliminaryPhase =
  | "sending-invoice"
  | "resolving-send"
  | "awaiting-reservation"
  | "canceling"
  | "authorizing"
  | "authorized"
  | "delivering"
  | "stopping"
  | "checking-sale"
  | "updating"
  | "committing"
  | "checking-commit"
  | "printing"
  | "parked"
  | "finished";

export interface Delivered {
  readonly gradeId?: string;
  readonly milli: number;
  readonly amountMinor: number;
  readonly unitPriceMinor?: number;
}

/** What a customer call starts a flow with; the flow state carries all of it. */
export interface PreliminaryStart {
  readonly flowId: string;
  readonly point: number;
  readonly terminalId: string;
  readonly currency: string;
  readonly stationName: string;
  readonly unit: QuantityUnit;
  readonly grades: readonly Grade[];
  readonly gradeId?: string;
  /** Preliminary amount = the reservation = the dispenser limit. */
  readonly reserveMinor: number;
}

export interface PreliminaryState extends FlowBase, PreliminaryStart {
  readonly kind: "preliminary";
  readonly phase: PreliminaryPhase;
  readonly invoiceRef?: string;
  readonly version: number;
  readonly sends: number;
  /** Customer must confirm in the app before this (absolute ms). */
  readonly customerDeadline: number;
  /** Settlement must be done before this: reservation time − safety margin (absolute ms). */
  readonly commitDeadline?: number;
  readonly cancelWanted?: string;
  readonly stopRequested?: boolean;
  readonly progress?: { readonly milli: number; readonly amountMinor: number };
  readonly delivered?: Delivered;
  readonly commitMinor?: number;
  readonly commitAccepted?: boolean;
  readonly ersReference?: string;
  readonly paymentDate?: string;
  readonly receipt?: ReceiptContent;
}
