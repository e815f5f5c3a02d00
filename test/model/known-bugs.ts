// Known violations of today's main (issue 9's numbered sequences, phase 1 of the campaign). While
// the fixes (branch i9fix) are not merged, the default tier tolerates exactly these codes — it
// counts and prints them — so `npm test` stays green and still fails on any NEW violation.
// MODEL_STRICT=1 tolerates nothing: the lead switches the default to strict after the merge.
export interface KnownBug {
  /** Issue 9 sequence number(s). */
  readonly issue: string;
  /** Violation codes (invariants.ts) this bug produces. */
  readonly codes: readonly string[];
  /** Alarm codes this bug raises on every occurrence: they must not count as "the technician was told". */
  readonly noiseAlarms?: readonly string[];
  readonly note: string;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  { issue: "1", codes: ["journal-lost-step"], note: "an append made while compaction holds its transaction resolves uncommitted; the compaction's ROLLBACK drops it after its effect ran" },
  {
    issue: "2",
    codes: ["delivered-after-settlement", "committed-while-delivering", "canceled-while-authorized"],
    note: "STOP fails (link loss > stall, or the board does not answer) and the sale record is read while the sale is still open: the running figure is committed (or, still authorized, the reservation cancelled) and the pump goes on",
  },
  {
    issue: "3",
    codes: ["delivered-past-lapse", "lapsed-while-flow-running"],
    note: "nothing stops a long delivery before commitReservationTimeout, and the commit deadline is counted from RESERVED, not from sendInvoice: the reservation lapses under a running flow",
  },
  { issue: "4", codes: ["reconciliation-wrong-period"], note: "after a lost markTransactionPeriod answer it marks again and reports the new, empty period" },
  {
    issue: "5",
    codes: ["call-storm", "paid-not-read-20s"],
    note: "kiosk cancel answered 51/48: cancel, poll, cancel … ten times at once, then the flow stops polling while the customer is paying",
  },
  {
    issue: "6",
    codes: ["refund-sent-twice", "refund-reported-failed"],
    note: "refundPayment re-sent after an ambiguous answer (90 after processing; a technician retry of a refund whose answer was lost)",
  },
  {
    issue: "7",
    codes: ["invalid-updateInvoice"],
    noiseAlarms: ["glase-updateInvoice"],
    note: "updateInvoice of a reserved invoice goes out without paymentMode/commitReservationTimeout: strict Glase answers 49 on every settlement",
  },
  {
    issue: "8",
    codes: ["commit-paid-not-read", "paid-not-read-20s"],
    note: "while an invoice may be PAID and unread, failed/hung status reads back off (up to 30 s after a commit) with 10-s timeouts: PAID unread past 20 s is reversed",
  },
  { issue: "9", codes: ["authorized-while-stopped"], note: "a technician stop racing a RESERVED answer: the stopped point is authorized" },
  {
    issue: "10",
    codes: ["retry-did-not-settle"],
    note: "technician retry of a flow parked before metering jumps to checking-commit and commits with no amount until it parks again; the reservation lapses",
  },
  { issue: "11", codes: ["superseded-other-flow"], note: "two points sharing one terminal id supersede each other's invoices (config check does not refuse it)" },
  { issue: "12a", codes: ["parked-without-alarm"], note: "a parked flow's alarm is not raised again after a restart" },
  { issue: "12b", codes: ["parked-before-deadline"], note: "deadlines are wall-clock instants: a forward NTP step parks a flow with most of its reservation left" },
  {
    // Not in the issue's list: one root cause, several faces.
    issue: "new-A",
    codes: ["paid-not-released", "reservation-lapsed-silently", "reservation-left-open", "delivered-without-reservation", "superseded-by-stale-request", "paid-orphan-not-read"],
    note:
      "a sendInvoice whose outcome is unknown (answer lost, timeout, processed after the timeout, or a kill) leaves an invoice no flow watches: the flow gives up ('offline'/'canceled') without cancelling it, or re-sends and the customer pays/reserves the other one, or the late one supersedes the invoice being delivered on — payments unread or reversed, reservations held until they lapse, fuel on a CANCELED invoice, no alarm",
  },
];

export function strict(): boolean {
  return process.env.MODEL_STRICT === "1";
}

export function toleratedCodes(): ReadonlySet<string> {
  return strict() ? new Set() : new Set(KNOWN_BUGS.flatMap((b) => b.codes));
}

export function noiseAlarms(): ReadonlySet<string> {
  return strict() ? new Set() : new Set(KNOWN_BUGS.flatMap((b) => b.noiseAlarms ?? []));
}
