// The dispenser/charger controller as the payment flows see it. One controller board drives
// several points (fuelling points or charge points). Implementations:
//   - drivers/dispenser/line-driver.ts   — the real driver: our ASCII line protocol
//                                          (docs/dispenser-protocol.md) over serial or TCP
//   - drivers/dispenser/in-memory.ts     — in-memory twin for unit tests of the flows
//   - drivers/pts2/                      — Technotrade PTS-2 forecourt controllers (jsonPTS)
// and simulator/devices/ hosts the virtual controller that speaks the same bytes as the board.
//
// Units: money in integer minor units; quantities in integer thousandths of the unit
// (millilitres for fuel, watt-hours for charging).

export type PointId = number; // 1-based, as printed on the pump/charger
export type QuantityUnit = "L" | "kWh";

export interface Grade {
  readonly id: string; // e.g. "95", "D", "AC22"
  readonly name: string; // e.g. "Blyfri 95"
  readonly unit: QuantityUnit;
  readonly unitPriceMinor: number; // minor units per whole unit (per litre / per kWh)
  readonly vatRatePercent: number; // e.g. 25
}

/** Why a delivery ended. */
export type DeliveryEndReason =
  | "nozzle-down" // customer hung up / unplugged
  | "limit" // authorized limit reached
  | "stopped" // stop command
  | "stall" // no flow for the controller's stall time
  | "fault";

export type PointState = "idle" | "calling" | "authorized" | "delivering" | "finished" | "fault" | "offline";

export interface PointStatus {
  readonly point: PointId;
  readonly state: PointState;
  readonly nozzleUp: boolean; // cable plugged for chargers
  readonly transactionId?: string;
  readonly milli?: number;
  readonly amountMinor?: number;
}

/** Unsolicited events from the controller. */
export type DispenserEvent =
  /** Customer asks to fuel/charge (button or nozzle lift before authorization), optional preset. */
  | { readonly type: "call"; readonly point: PointId; readonly gradeId?: string; readonly presetMinor?: number }
  | { readonly type: "nozzle"; readonly point: PointId; readonly up: boolean; readonly gradeId?: string }
  | {
      readonly type: "progress";
      readonly point: PointId;
      readonly transactionId: string;
      readonly milli: number;
      readonly amountMinor: number;
    }
  | {
      readonly type: "end";
      readonly point: PointId;
      readonly transactionId: string;
      readonly gradeId: string;
      readonly milli: number;
      readonly amountMinor: number;
      readonly unitPriceMinor: number;
      readonly reason: DeliveryEndReason;
    }
  | {
      readonly type: "fault";
      readonly point: PointId | null;
      readonly code: string;
      readonly message: string;
      readonly transactionId?: string;
      /**
       * Set by a driver whose own durable record holds the session of `transactionId` — one the
       * engine authorized — so the fault is that flow's even once the engine no longer lists the
       * flow among its recent finished ones (review 13c C2: a late stop after 200 other flows was
       * never kept). Never taken from what a device sends (a line board's FAULT cannot set it).
       */
      readonly flowSession?: true;
      /** The controller that reported it (set by the station's point router). */
      readonly controller?: string;
    }
  /**
   * The link to the controller went down or came back (the driver reconnects by itself). On a
   * station of several controllers the point router names the controller and the points it drives:
   * only those points' flows are concerned.
   */
  | { readonly type: "link"; readonly up: boolean; readonly controller?: string; readonly points?: readonly PointId[] };

export interface AuthorizeCommand {
  readonly point: PointId;
  readonly limitMinor: number;
  readonly currency: string;
  /** Our flow id; the controller keeps it in its sale record. */
  readonly transactionId: string;
  readonly gradeId?: string;
}

/** What the controller remembers of a transaction, so a restarted agent learns what was delivered. */
export interface SaleRecord {
  readonly transactionId: string;
  readonly point: PointId;
  readonly state: "authorized" | "delivering" | "finished";
  readonly gradeId?: string;
  readonly milli: number;
  readonly amountMinor: number;
  readonly unitPriceMinor?: number;
  readonly limitMinor: number;
  readonly reason?: DeliveryEndReason;
}

export interface ControllerInfo {
  readonly protocolVersion: string;
  readonly firmware: string;
  readonly points: number;
}

export type Unsubscribe = () => void;

/** A technician's decision on whose a sale is (DispenserController.resolveSale). */
export type SaleVerdict = "ours" | "not-ours";

export interface DispenserController {
  /** Subscribe to unsolicited events. Listeners must not throw; errors are caught and logged. */
  onEvent(listener: (event: DispenserEvent) => void): Unsubscribe;
  /** Version handshake; resolves once the controller answered. */
  hello(): Promise<ControllerInfo>;
  status(): Promise<readonly PointStatus[]>;
  prices(): Promise<readonly Grade[]>;
  /** Rejects with DEVICE_REJECTED if the controller refuses (point busy, fault). Not retried blindly. */
  authorize(cmd: AuthorizeCommand): Promise<void>;
  stop(point: PointId): Promise<void>;
  display(point: PointId, text: string): Promise<void>;
  /** undefined when the controller has no record of that transaction id. */
  saleRecord(transactionId: string): Promise<SaleRecord | undefined>;
  /**
   * Optional: the flow of this transaction id is over — its money settled (paid or cancelled) and
   * it will not ask for the sale record again. A driver that holds something per transaction
   * releases it (PTS-2: PumpCloseTransaction, which frees the pump for the next customer). The
   * shell calls it once the flow is finished; idempotent; a failure is the driver's to retry.
   */
  settled?(transactionId: string): Promise<void>;
  /**
   * Optional: raise again (as `fault` events) the flows' money alarms the driver's durable record
   * holds — the engine calls it once it listens, at every start, and keeps each once (review 13c
   * C2: a crash between a driver's durable settlement and the engine's write of its alarm lost it).
   * Only alarms raised at or after `since` (the journal's retention: an older acknowledged one may be
   * compacted away there, and would come back as new — review 13d D1).
   */
  replayAlarms?(since?: number): void;
  /**
   * Optional: a technician's decision on a sale the driver could not prove ours or someone else's
   * (PTS-2 PTS_OWNERSHIP_UNKNOWN), after checking it on the controller: "ours" — the next sale
   * record reads it at the controller's own figures; "not-ours" — nothing to charge, the pump not
   * touched. Durable when it resolves. NOT_FOUND when the driver has no such transaction, CONFLICT
   * when the sale is not waiting for that decision.
   */
  resolveSale?(transactionId: string, verdict: SaleVerdict): Promise<void>;
  close(): Promise<void>;
}
