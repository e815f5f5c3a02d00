// The pumps behind the virtual PTS-2: nozzles, fuel grades, authorizations with their transaction
// numbers, metering to the dose, end of transaction, closing, and what survives a power cut (the
// transaction records — the real controller keeps them in non-volatile memory; a fill that was
// running ends with the figures metered so far, an authorization not yet started is dropped).
// No I/O and no timers: the wire (virtual-pts2.ts) and the hydraulics (virtual-pts2-flow.ts)
// drive it. Written independently of the driver's decoders, from the packet descriptions in
// docs/pts2.md, so the two sides do not share mistakes.

export interface VirtualGrade {
  readonly id: number;
  readonly name: string;
  /** Per litre, in 10^-priceDigits of the currency (minor units with the default 2 digits). */
  priceMinor: number;
}

export interface VirtualPumpConfig {
  readonly pump: number;
  /** Fuel grade id of nozzle 1, 2, … */
  readonly nozzles: readonly number[];
}

export type VirtualTxState = "WaitingNozzleUpForAuthorization" | "Authorized" | "Filling" | "EndOfTransaction" | "Finished";

/** The controller user id of authorizations not made through the agent's HTTP user (the attendant's POS). */
export const POS_USER_ID = 2;

export interface VirtualTx {
  readonly pump: number;
  /** The controller user who authorized it (PumpTransactionInformation.UserId). */
  readonly userId?: number;
  readonly transaction: number;
  /** The nozzle the authorization is for (0: any). */
  readonly nozzle: number;
  nozzleUsed: number;
  fuelGradeId: number;
  priceMinor: number;
  readonly doseType: "Amount" | "Volume" | "FullTank";
  /** Amount dose in minor units, volume dose in ml. */
  readonly dose: number;
  milli: number;
  amountMinor: number;
  state: VirtualTxState;
  readonly startedAt: number;
  endedAt?: number;
}

export interface VirtualPump {
  readonly id: number;
  readonly nozzles: readonly number[];
  nozzleUp: number;
  offline: boolean;
  /** The authorization or sale on the pump (not closed yet). */
  current?: VirtualTx;
  last?: VirtualTx;
  nextTransaction: number;
  /** Fault: PumpStop is confirmed but the pump keeps filling. */
  ignoreStop: boolean;
}

/** jsonPTS error codes the twin answers with. */
export const VERR = {
  NOT_FOUND: 1,
  INVALID_JSON: 2,
  NO_PERMISSIONS: 6,
  NO_PUMP_NUMBER: 18,
  PUMP_OUT_OF_RANGE: 20,
  TX_OUT_OF_RANGE: 21,
  TX_NOT_FOUND: 22,
  TX_NOT_MATCH: 27,
  TX_EXISTS: 28,
  NOZZLE_OUT_OF_RANGE: 33,
  TYPE_OUT_OF_RANGE: 36,
  NO_DOSE: 37,
  NO_PRICE: 38,
  DUPLICATED_AUTHORIZATION: 39,
  BUSY_OTHER_USER: 40,
  BUSY_OTHER_REQUEST: 41,
  BUSY_FILLING: 42,
  NOT_END_OF_TRANSACTION: 69,
  REPEATED_PRICE_DIFFERENT: 78,
} as const;

export type Outcome<T = Record<string, unknown>> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly code: number };

const fail = (code: number): Outcome<never> => ({ ok: false, code });

/** Pump metering: the amount (cents) of a volume at a price (10^-priceDigits), rounded half up to a cent. */
export function amountOf(milli: number, priceMinor: number, priceDigits = 2): number {
  const d = 1000 * 10 ** (priceDigits - 2);
  return Math.floor((2 * milli * priceMinor + d) / (2 * d));
}

export class VirtualPumps {
  readonly grades = new Map<number, VirtualGrade>();
  readonly pumps = new Map<number, VirtualPump>();
  /** Every transaction ever authorized, `${pump}:${transaction}` (survives power cuts). */
  readonly records = new Map<string, VirtualTx>();
  /** The user id of the HTTP request being run (set by the server around each request); unset = the POS. */
  requestUser: number | undefined;
  private readonly changeListeners = new Set<(pump: number) => void>();

  /** Prices' decimals on the wire (2 or more; money always has 2). */
  readonly priceDigits: number;
  /** A power cut also wipes the transaction records (a controller without their non-volatile memory). */
  forgetOnPowerCut = false;
  /**
   * With `forgetOnPowerCut`: the pumps' counters restart at 1 too (the numbers of the lost records
   * are handed out again). Default false: the counters keep counting — a real PTS-2 keeps its sales
   * database (and so its numbering) across power cuts (docs/pts2.md, "Transaction numbers after a
   * power cut").
   */
  numberFromOneAfterPowerCut = false;
  /**
   * The stricter reading of PumpAuthorize (VirtualPts2Options.strictAuthorize): a pump held by
   * another controller user refuses with 40 "Pump is busy by other user" (the vendor SDK's
   * JSONPTS_ERROR_PUMP_BUSY_OTHER_USER), whatever the number — even our number taken by the POS —
   * and a same-number repeat by the same user is refused as 39 "Duplicated authorization request"
   * instead of being confirmed again. Default (lenient): a same-number request is "the same request
   * again" whoever sends it, and another user's authorization is refused as 39/41/42.
   */
  strictAuthorize = false;
  /**
   * Firmware that ignores PumpAuthorize.Transaction and numbers authorizations from its own counter,
   * shared by its pumps (the vendor SDK treats the field as optional): the next number it gives;
   * undefined = the requested number is honoured (VirtualPts2Options.renumberFrom).
   */
  renumberFrom: number | undefined;

  constructor(grades: readonly VirtualGrade[], pumps: readonly VirtualPumpConfig[], private readonly now: () => number, priceDigits = 2) {
    this.priceDigits = priceDigits;
    for (const g of grades) this.grades.set(g.id, { ...g });
    for (const p of pumps) this.pumps.set(p.pump, { id: p.pump, nozzles: p.nozzles, nozzleUp: 0, offline: false, nextTransaction: 1, ignoreStop: false });
  }

  onChange(listener: (pump: number) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  pump(id: unknown): Outcome<VirtualPump> {
    if (typeof id !== "number" || !Number.isInteger(id)) return fail(VERR.NO_PUMP_NUMBER);
    const p = this.pumps.get(id);
    return p ? { ok: true, data: p } : fail(VERR.PUMP_OUT_OF_RANGE);
  }

  // ---- requests from the wire ------------------------------------------------------------------

  authorize(d: Record<string, unknown>): Outcome {
    const found = this.pump(d.Pump);
    if (!found.ok) return found;
    const p = found.data;
    const type = d.Type ?? "FullTank";
    if (type !== "Amount" && type !== "Volume" && type !== "FullTank") return fail(VERR.TYPE_OUT_OF_RANGE);
    if (type !== "FullTank" && (typeof d.Dose !== "number" || !(d.Dose > 0))) return fail(VERR.NO_DOSE);
    if (d.Price !== undefined && (typeof d.Price !== "number" || !(d.Price > 0))) return fail(VERR.NO_PRICE);
    const nozzle = d.Nozzle === undefined ? 0 : d.Nozzle;
    if (typeof nozzle !== "number" || !Number.isInteger(nozzle) || nozzle < 0 || nozzle > p.nozzles.length) return fail(VERR.NOZZLE_OUT_OF_RANGE);
    const tx = d.Transaction === undefined || this.renumberFrom !== undefined ? undefined : d.Transaction;
    if (tx !== undefined && (typeof tx !== "number" || !Number.isInteger(tx) || tx < 1 || tx > 65535)) return fail(VERR.TX_OUT_OF_RANGE);
    const priceMinor = d.Price === undefined ? undefined : Math.round((d.Price as number) * 10 ** this.priceDigits);
    const cur = p.current;
    const user = this.requestUser ?? POS_USER_ID;
    if (this.strictAuthorize && cur !== undefined) {
      if (cur.userId !== user) return fail(VERR.BUSY_OTHER_USER);
      if (tx !== undefined && cur.transaction === tx) return fail(priceMinor !== undefined && priceMinor !== cur.priceMinor ? VERR.REPEATED_PRICE_DIFFERENT : VERR.DUPLICATED_AUTHORIZATION);
    }
    if (tx !== undefined && cur?.transaction === tx) {
      // The same request again (a retry): the same authorization, unless the price changed.
      if (priceMinor !== undefined && priceMinor !== cur.priceMinor) return fail(VERR.REPEATED_PRICE_DIFFERENT);
      return { ok: true, data: { Pump: p.id, Transaction: tx } };
    }
    if (tx !== undefined && this.records.has(`${p.id}:${tx}`)) return fail(VERR.TX_EXISTS);
    if (cur?.state === "Filling") return fail(VERR.BUSY_FILLING);
    if (cur?.state === "EndOfTransaction") return fail(VERR.BUSY_OTHER_REQUEST);
    if (cur) return fail(VERR.DUPLICATED_AUTHORIZATION);
    if (p.offline) return fail(VERR.BUSY_OTHER_REQUEST);
    const number = tx ?? (this.renumberFrom !== undefined ? this.ownNumber(p) : this.nextNumber(p));
    const gradeOfNozzle = nozzle > 0 ? p.nozzles[nozzle - 1]! : 0;
    const t: VirtualTx = {
      pump: p.id,
      userId: user,
      transaction: number,
      nozzle,
      nozzleUsed: 0,
      fuelGradeId: gradeOfNozzle,
      priceMinor: priceMinor ?? this.grades.get(gradeOfNozzle)?.priceMinor ?? 0,
      doseType: type,
      dose: type === "Amount" ? Math.round((d.Dose as number) * 100) : type === "Volume" ? Math.round((d.Dose as number) * 1000) : 0,
      milli: 0,
      amountMinor: 0,
      state: "WaitingNozzleUpForAuthorization",
      startedAt: this.now(),
    };
    p.current = t;
    this.records.set(`${p.id}:${number}`, t);
    if (p.nextTransaction <= number) p.nextTransaction = (number % 65535) + 1;
    // A customer already holding the authorized nozzle starts at once.
    if (p.nozzleUp !== 0 && (nozzle === 0 || nozzle === p.nozzleUp)) this.startFilling(p, t);
    this.changed(p.id);
    return { ok: true, data: { Pump: p.id, Transaction: number } };
  }

  stop(pumpId: unknown, emergency: boolean): Outcome {
    const found = this.pump(pumpId);
    if (!found.ok) return found;
    const p = found.data;
    const t = p.current;
    if (t && (t.state === "Filling" ? !p.ignoreStop || emergency : t.state !== "EndOfTransaction")) this.end(p, t);
    return { ok: true, data: { Pump: p.id } };
  }

  transactionInfo(d: Record<string, unknown>): Outcome {
    const found = this.pump(d.Pump);
    if (!found.ok) return found;
    const tx = d.Transaction;
    if (typeof tx !== "number" || !Number.isInteger(tx) || tx < 0 || tx > 65535) return fail(VERR.TX_OUT_OF_RANGE);
    const t = tx === 0 ? (found.data.current ?? found.data.last) : this.records.get(`${found.data.id}:${tx}`);
    if (!t) return fail(VERR.TX_NOT_FOUND);
    return { ok: true, data: { ...this.figuresOf(t), State: t.state, DateTime: stamp(t.endedAt ?? this.now()), UserId: t.userId ?? POS_USER_ID } }; // as a real controller: no ordered type or dose here
  }

  closeTransaction(d: Record<string, unknown>): Outcome {
    const found = this.pump(d.Pump);
    if (!found.ok) return found;
    const p = found.data;
    const t = p.current;
    if (!t || t.state !== "EndOfTransaction") return fail(VERR.NOT_END_OF_TRANSACTION);
    if (d.Transaction !== t.transaction) return fail(VERR.TX_NOT_MATCH);
    t.state = "Finished";
    p.last = t;
    p.current = undefined;
    this.changed(p.id);
    return { ok: true, data: { Pump: p.id } };
  }

  // ---- the forecourt ---------------------------------------------------------------------------

  liftNozzle(pumpId: number, nozzle: number): void {
    const p = this.pumps.get(pumpId);
    if (!p || nozzle < 1 || nozzle > p.nozzles.length || p.nozzleUp === nozzle) return;
    p.nozzleUp = nozzle;
    const t = p.current;
    if (t?.state === "WaitingNozzleUpForAuthorization" && (t.nozzle === 0 || t.nozzle === nozzle)) this.startFilling(p, t);
    this.changed(p.id);
  }

  hangUp(pumpId: number): void {
    const p = this.pumps.get(pumpId);
    if (!p || p.nozzleUp === 0) return;
    p.nozzleUp = 0;
    if (p.current?.state === "Filling") this.end(p, p.current);
    this.changed(p.id);
  }

  /** Meters up to `milli` more on a filling pump; stops at the dose. Returns what was metered. */
  deliver(pumpId: number, milli: number): number {
    const p = this.pumps.get(pumpId);
    const t = p?.current;
    // An offline pump still dispenses: only the controller lost it. Its figures show once it is back.
    if (!p || !t || t.state !== "Filling") return 0;
    const cap = this.capOf(t);
    const add = Math.max(0, Math.min(Math.floor(milli), cap - t.milli));
    t.milli += add;
    t.amountMinor = amountOf(t.milli, t.priceMinor, this.priceDigits);
    if (t.milli >= cap) this.end(p, t);
    this.changed(p.id);
    return add;
  }

  /**
   * Power cut: a running fill ends where it is; an authorization not started is dropped. With
   * `forgetOnPowerCut` the controller comes back knowing no transaction at all — numbering on from
   * where it was, or from 1 with `numberFromOneAfterPowerCut`.
   */
  powerCut(): void {
    if (this.forgetOnPowerCut) {
      this.records.clear();
      for (const p of this.pumps.values()) {
        p.current = undefined;
        p.last = undefined;
        if (this.numberFromOneAfterPowerCut) p.nextTransaction = 1;
      }
      return;
    }
    for (const p of this.pumps.values()) {
      const t = p.current;
      if (t?.state === "Filling") this.end(p, t);
      else if (t && t.state !== "EndOfTransaction") {
        t.state = "Finished";
        t.endedAt = this.now();
        p.last = t;
        p.current = undefined;
      }
    }
  }

  statusOf(p: VirtualPump): { Type: string; Data: Record<string, unknown> } {
    if (p.offline) return { Type: "PumpOfflineStatus", Data: { Pump: p.id, State: "Offline", NozzleUp: 0, Nozzle: 0, Request: "", User: "" } };
    const t = p.current;
    if (t && (t.state === "Filling" || t.state === "EndOfTransaction")) {
      const figures = { ...this.figuresOf(t), User: "agent" };
      return t.state === "Filling"
        ? { Type: "PumpFillingStatus", Data: { ...figures, IsSuspended: false, OrderedType: t.doseType, OrderedDose: t.doseType === "Amount" ? t.dose / 100 : t.dose / 1000 } }
        : { Type: "PumpEndOfTransactionStatus", Data: { ...figures, DateTime: stamp(t.endedAt ?? this.now()) } };
    }
    const last = p.last;
    return {
      Type: "PumpIdleStatus",
      Data: {
        Pump: p.id,
        NozzleUp: p.nozzleUp,
        Nozzle: p.nozzleUp,
        Request: t ? "PumpAuthorize" : "",
        ...(t ? { Transaction: t.transaction } : {}),
        NozzlePrices: p.nozzles.map((g) => (this.grades.get(g)?.priceMinor ?? 0) / 10 ** this.priceDigits),
        LastNozzle: last?.nozzleUsed ?? 0,
        LastVolume: (last?.milli ?? 0) / 1000,
        LastPrice: (last?.priceMinor ?? 0) / 10 ** this.priceDigits,
        LastAmount: (last?.amountMinor ?? 0) / 100,
        LastTransaction: last?.transaction ?? 0,
        LastFuelGradeId: last?.fuelGradeId ?? 0,
        User: "",
      },
    };
  }

  // ---- internals --------------------------------------------------------------------------------

  /** A transaction's figures as the controller reports them (decimal numbers on the wire). */
  private figuresOf(t: VirtualTx): Record<string, unknown> {
    return {
      Pump: t.pump,
      Transaction: t.transaction,
      Nozzle: t.nozzleUsed || t.nozzle,
      FuelGradeId: t.fuelGradeId,
      FuelGradeName: this.grades.get(t.fuelGradeId)?.name ?? "",
      Volume: t.milli / 1000,
      TCVolume: t.milli / 1000,
      Price: t.priceMinor / 10 ** this.priceDigits,
      Amount: t.amountMinor / 100,
      DateTimeStart: stamp(t.startedAt),
    };
  }

  private nextNumber(p: VirtualPump): number {
    let n = p.nextTransaction;
    while (this.records.has(`${p.id}:${n}`)) n = (n % 65535) + 1;
    p.nextTransaction = (n % 65535) + 1;
    return n;
  }

  /** The renumbering firmware's counter: shared by the pumps, skipping numbers the pump holds. */
  private ownNumber(p: VirtualPump): number {
    let n = this.renumberFrom!;
    while (this.records.has(`${p.id}:${n}`)) n = (n % 65535) + 1;
    this.renumberFrom = (n % 65535) + 1;
    return n;
  }

  private startFilling(p: VirtualPump, t: VirtualTx): void {
    t.nozzleUsed = p.nozzleUp;
    t.fuelGradeId = p.nozzles[p.nozzleUp - 1]!;
    if (t.priceMinor === 0) t.priceMinor = this.grades.get(t.fuelGradeId)?.priceMinor ?? 0;
    t.state = "Filling";
  }

  private capOf(t: VirtualTx): number {
    if (t.doseType === "Volume") return t.dose;
    if (t.doseType === "Amount" && t.priceMinor > 0) {
      // Largest volume whose (rounded) amount stays within the dose.
      let milli = Math.floor((t.dose * 1000 * 10 ** (this.priceDigits - 2)) / t.priceMinor);
      while (amountOf(milli + 1, t.priceMinor, this.priceDigits) <= t.dose) milli++;
      return milli;
    }
    return Number.MAX_SAFE_INTEGER;
  }

  private end(p: VirtualPump, t: VirtualTx): void {
    t.state = "EndOfTransaction";
    t.endedAt = this.now();
    this.changed(p.id);
  }

  private changed(pump: number): void {
    for (const l of [...this.changeListeners]) l(pump);
  }
}

/** jsonPTS date-time: local "YYYY-MM-DDThh:mm:ss" without a zone. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
