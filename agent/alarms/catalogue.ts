// Every alarm code the agent can raise, what it means and what the technician does about it. The
// book attaches the action to each alarm (ctl alarms, the alerting hook); docs/alarms.md is the
// same catalogue for people, and test/alarms/catalogue.test.ts checks that both list every code
// the source raises.

import { PTS_FAULTS } from "../../drivers/pts2/alarms.ts";

export interface AlarmEntry {
  readonly meaning: string;
  readonly action: string;
}

const PARKED = "look the payment up in the Glase report (ctl close-period, or Glase's portal), then `glase-agent ctl resolve FLOW retry|mark-settled|cancel` (docs/technician.md, Parked flows)";
const STATION_RELOAD = "then `systemctl reload glase-agent`";

export const ALARM_CATALOGUE: Readonly<Record<string, AlarmEntry>> = {
  // --- the station's own conditions (clear by themselves once fixed) ---
  "credentials-unusable": { meaning: "a point's terminal credentials are missing, empty, not JSON, unreadable or group/world-readable; the point is out of service", action: `restore terminals/point-N.json from a backup (owner glase-agent, chmod 600) or \`glase-agent register --point N\`, ${STATION_RELOAD}` },
  "registration-unconfirmed": { meaning: "a register got no answer from Glase; Glase may hold a terminal whose id we never learned; the point is out of service", action: "`glase-agent register --point N` again (the unanswered attempt is kept in terminals/orphans/ for Glase support)" },
  "registration-in-progress": { meaning: "another process's register for the point is still waiting for Glase's answer", action: `wait for it to finish, ${STATION_RELOAD}` },
  "unregistration-unconfirmed": { meaning: "an unregister got no answer: Glase may or may not have removed the terminal; the point is out of service", action: "`glase-agent unregister --point N` again, then register a new terminal if the point is to sell" },
  "shop-credentials-unusable": { meaning: "the shop (reseller) password file cannot be used; the station sells, but registering terminals and shop-wide close-period wait", action: `fix the file (owner glase-agent, chmod 600), ${STATION_RELOAD}` },
  "device-dispenser-unavailable": { meaning: "the dispenser/charger controller could not even be created (native module, device path, permissions); no point can sell", action: "fix the cause named in the message, then `systemctl restart glase-agent`" },
  "driver-records-orphaned": { meaning: "drivers.sqlite holds records (OCPP/PTS-2 transactions) of a controller id no longer configured, and no single controller with the same driver took over all its points; an open transaction among them would never settle", action: "put the old controller id back in devices.controllers (or rename so one controller with the same driver drives all its points; its records then move to it), then `systemctl restart glase-agent`; nothing was deleted" },
  "device-printer-unavailable": { meaning: "the receipt printer could not be created; receipts are kept in the journal (ctl reprint later)", action: "fix the cause named in the message, then `systemctl restart glase-agent`" },
  "device-link-down": { meaning: "a controller's link is lost (a pump board's cable, a vending machine's MDB adapter): its points are out of service (ctl points says which controller and why); the agent reconnects by itself", action: "check the controller's cable, power and adapter (`ctl status` shows the device); the alarm clears when the link is back" },
  "device-scanner-unavailable": { meaning: "the barcode scanner could not be created; scanning is unavailable", action: "fix the cause named in the message, then `systemctl restart glase-agent`" },
  "invoice-port-taken": { meaning: "another process holds the Invoice Service's notification port (the message names its uid): what nginx forwards would reach it, not the agent; the agent retries the bind (1 s doubling to 60 s) and takes the port once it is free", action: "find the holder (`ss -ltnp 'sport = :PORT'`) and stop it, or listen on a unix: socket (docs/install.md §8); the alarm clears when the agent has the port back. Then rotate the notification token (a new notificationTokenFile, the new URL to Glase) and check the invoices issued meanwhile (`ctl invoices --since TIME`): their paid notifications may have gone to the holder" },
  "invoice-service-unavailable": { meaning: "the Invoice Service could not be started (its database, secret, token or port); the points sell, Invoice Service invoices and notifications wait", action: "fix the cause named in the message, then `systemctl restart glase-agent`" },
  "metrics-unavailable": { meaning: "the metrics endpoint could not listen (port taken or refused); the station runs without metrics", action: "free the port (`ss -ltnp 'sport = :PORT'`) or change metrics.port, then `systemctl restart glase-agent`" },
  "clock-stepped": { meaning: "the wall clock jumped against the agent's monotonic clock (NTP correction, RTC-less boot): deadlines journaled before it may be off by the step", action: "check NTP (`timedatectl`); look at flows recovered around the step (`ctl flows --all`); then `ctl ack ID`" },
  // --- parked flows (clear when resolved) ---
  "settlement-parked": { meaning: "a delivery could not be settled before the reservation's commit deadline; the point waits", action: PARKED },
  "reservation-lapsed": { meaning: "the reservation ended (lapsed or cancelled) before the delivered amount was committed: delivered, not paid", action: PARKED },
  "reservation-lost": { meaning: "the invoice the pump ran on was cancelled under it (a late sendInvoice of the agent's superseded it, or it lapsed): the pump was stopped, the late invoice closed; what was delivered is not paid", action: "look the sale up on the controller and in the Glase report; collect the delivered amount another way, then `glase-agent ctl resolve FLOW mark-settled` (docs/technician.md, Parked flows)" },
  "reservation-unconfirmed": { meaning: "a flow whose sendInvoice answer was lost (so a late invoice may cancel its reservation at any time) could not read its reservation for two watch intervals while the pump ran (status reads failing or timing out): the pump was stopped and what was metered is being settled", action: "check Glase reachability (`glase-agent doctor`); if the settlement then parks, follow its alarm; `ctl ack ID`" },
  "paid-while-canceling": { meaning: "Glase reports PAID for an invoice the flow was cancelling", action: PARKED },
  "paid-without-reservation": { meaning: "Glase reports PAID before any delivery (a reservation was expected)", action: PARKED },
  "dispenser-unreachable": { meaning: "the controller's sale record was not available before the commit deadline", action: `check the controller's cable and power, then ${PARKED}` },
  "refund-unknown": { meaning: "a refund's answer was lost and the terminal's report could not tell whether it happened", action: "look for it in the terminal's details report (ctl close-period --scope terminal --point N), then `ctl resolve FLOW mark-settled` (it is there) or `cancel` (it is not)" },
  "journal-failed": { meaning: "the journal could not record a flow's next step; that flow stopped", action: "check disk space and storage (docs/install.md), then `systemctl restart glase-agent`; the flow recovers from its last journaled step" },
  parked: { meaning: "a flow is parked for a technician (recovered after a restart)", action: PARKED },
  "report-unavailable": { meaning: "a period was marked but its report could not be read (never ready, or refused); the period id is kept", action: "`glase-agent ctl resolve FLOW retry` reads that same period again (never a new one); if Glase keeps refusing, get the report from Glase's portal and `mark-settled`" },
  // --- events (clear with ctl ack) ---
  "commit-rejected": { meaning: "Glase answered the commit of the metered amount with 11 or a credentials code; the status is read on (it may have been applied)", action: "check the terminal's credentials and the payment in the Glase report; if the flow parks, resolve it as for settlement-parked; then `ctl ack ID`" },
  "late-invoice": { meaning: "the invoice a customer was to confirm was cancelled, maybe by a late sendInvoice of the agent's; the terminal's current invoice is closed", action: "nothing, unless it repeats (a slow Glase); then `ctl ack ID`" },
  "commit-unconfirmed": { meaning: "a commit was accepted (or its answer lost) but the invoice does not read PAID (yet)", action: "check the payment in the Glase report; when the flow parks, resolve it as for settlement-parked; then `ctl ack ID`" },
  "paid-amount-mismatch": { meaning: "Glase took another amount than was committed or priced", action: "check the payment in the Glase report; refund the difference if the customer paid too much (`ctl refund`); then `ctl ack ID`" },
  "delivery-unfinished": { meaning: "the controller never closed the sale by the commit deadline; the amount metered so far was committed", action: "compare with the pump's own record of the sale; refund or collect the difference; then `ctl ack ID`" },
  "pump-may-be-authorized": { meaning: "the agent stopped (`systemctl stop`, a restart) while a flow whose money is settled had not seen its pump stop (the board unreachable): the pump may still hold the customer's authorization, and nothing stops it while the agent is down; raised at the stop and again when the agent starts (it then keeps stopping the pump until the sale is seen to end)", action: "check the pump at once: if it still delivers, stop it at the pump or controller; once the flow ends (`ctl flows`) compare the sale with what was committed (delivered-unpaid names a difference); then `ctl ack ID`" },
  "delivered-unpaid": { meaning: "a sale the agent had let go of (cancelled or marked settled while the pump was unreachable, or settled with its running figure at the commit deadline) ended above what was committed; the message names both figures and the unpaid difference", action: "compare with the pump's own record of the sale; collect the difference from the customer if possible; then `ctl ack ID`" },
  "delivery-without-flow": { meaning: "the controller reported a sale no running flow owns (its flow finished, or this journal never knew it): its point was stopped; an END names what it delivered beyond what was settled", action: "check the pump and the controller's record of that transaction (an old journal restored? a second agent on the controller?); collect or write off the unpaid figure; then `ctl ack ID`" },
  overrun: { meaning: "the controller metered more than the reservation; only the reserved amount was committed", action: "check the pump's authorization limit handling (a controller fault); then `ctl ack ID`" },
  "period-unknown": { meaning: "a period mark's answer was lost: the period may have been closed and its report cannot be fetched", action: "run `ctl close-period` again (if the lost mark was applied, the new close cannot read what came before it and ends partial, alarm shift-report-partial); then `ctl ack ID`" },
  "shift-report-partial": { meaning: "a terminal close read every period of the shift it knows, but a period mark of the shift (a refund's or a close's) lost its answer: a period nobody can read may hold part of the shift", action: "compare the close with the station's sales (`ctl export`) for the shift; the periods read are in `ctl periods --flow ID`; then `ctl ack ID`" },
  "send-unresolved": { meaning: "sendInvoice kept failing or its outcome stayed unknown; no invoice of the sale was open when the flow gave up — but a send that was never answered may still land later: the terminal's lost-send watch reads it and tells any payment of it (paid-unclaimed, lost-send-unresolved)", action: "check the network path to Glase (docs/install.md, network); then `ctl ack ID`" },
  "cancel-unconfirmed": { meaning: "a cancel was not confirmed (a reservation lapses by itself; a kiosk invoice keeps being polled)", action: "nothing unless it recurs (then the network to Glase); `ctl ack ID`" },
  "paid-not-ours": { meaning: "the terminal's current invoice was paid, but it is not the one this flow sent", action: "find the payment in the Glase report and refund it if nobody was served (`ctl refund`); then `ctl ack ID`" },
  "release-failed": { meaning: "a kiosk's product release failed after the payment", action: "hand out the product, or refund (`ctl refund ERSREFERENCE AMOUNT`); then `ctl ack ID`" },
  "release-unknown": { meaning: "the agent restarted during a kiosk's product release, after the payment", action: "ask whether the product came out; a kiosk sale: `ctl kiosk-resolve SALE_ID delivered|failed [--delivered AMOUNT]`; otherwise, if not, refund (`ctl refund`); then `ctl ack ID`" },
  "glase-sendInvoice": { meaning: "Glase refused a payment request (the result code is in the message, contract §5.8)", action: "20/21/29/33/37: the terminal's credentials or state (re-register); others: contact Glase; then `ctl ack ID`" },
  "glase-getPaymentStatus": { meaning: "Glase answered a status read with an error code (in the message)", action: "as glase-sendInvoice; then `ctl ack ID`" },
  "glase-cancelInvoice": { meaning: "Glase refused a cancel (the code is in the message)", action: "check the invoice in the Glase report (it lapses by itself if reserved); then `ctl ack ID`" },
  "glase-updateInvoice": { meaning: "Glase refused the invoice update before a commit (the code is in the message); the commit went ahead", action: "check the receipt rows against the Glase report; then `ctl ack ID`" },
  "release-result-missing": { meaning: "a kiosk or vending machine was paid and told to release, but reported no result in time; nothing is refunded automatically", action: "ask at the machine whether the product came out, then `ctl kiosk-resolve SALE_ID delivered` or `ctl kiosk-resolve SALE_ID failed [--delivered AMOUNT]` (the refund of the rest follows, once; the alarm clears)" },
  "receipt-not-submitted": { meaning: "a delivered kiosk sale's receipt (submitPaymentReceipt) was refused by Glase, or not accepted within 24 h of retrying (backoff up to 1 h); the sale itself is paid and served", action: "check the network path to Glase and the terminal's credentials (the code is in the message); the payment stands, nothing to refund; then `ctl ack ID`" },
  "refund-failed": { meaning: "the automatic refund after a failed kiosk/vending delivery did not go through", action: "return the money by hand (`ctl refund`, or Glase's portal); then `ctl ack ID`" },
  "paid-reversed": { meaning: "a POS invoice read PAID and then CANCELED on the confirming read (reversed, contract \u00a79 A45); nothing was released", action: "nothing to do unless the customer says they paid; then `ctl ack ID`" },
  "paid-unconfirmed": { meaning: "a POS invoice read PAID but the confirming reads failed; the product was released on the first read", action: "check the payment in the Glase report; if it was reversed, the product went out unpaid; then `ctl ack ID`" },
  "status-read-refused": { meaning: "Glase answered a status read with a definite error code while the invoice may still be paid; the agent keeps reading at the poll cadence", action: "check the terminal's credentials and Glase's state (the code is in the message); then `ctl ack ID`" },
  "paid-twice": { meaning: "a late invoice of a kiosk sale (a sendInvoice that had not answered, processed after the sale's own payment) was paid too; nothing was released for it", action: "refund that payment (`ctl refund ERSREFERENCE AMOUNT`, the second ersReference in the message); then `ctl ack ID`" },
  "paid-unclaimed": { meaning: "a late invoice of a flow that had ended (its sendInvoice never answered, processed by Glase afterwards) was paid on the terminal; the agent read it (it is not reversed) but released nothing for it", action: "refund that payment with the line in the message (`ctl refund ERSREFERENCE AMOUNT`); then `ctl ack ID`" },
  "lost-send-unresolved": { meaning: "a sendInvoice that was never answered was not seen on its terminal within flows.lostSendWatchS after it was sent; the terminal is no longer watched for it", action: "look for an invoice with the named clientInvoiceId in the Glase portal or the terminal's report; if it was paid, refund it (`ctl refund ERSREFERENCE AMOUNT`); then `ctl ack ID`" },
  "lost-send-unwatched": { meaning: "a flow ended with a sendInvoice never answered, and the terminal's lost-send watch could not start (the journal refused it)", action: "check the journal (disk, permissions); restart the agent (the watch starts from the journal); watch the terminal's invoices in the Glase portal meanwhile; then `ctl ack ID`" },
  "paid-while-stopped": { meaning: "a payment came in after a technician stopped the point; the receipt was printed but nothing was released", action: "hand the product over or refund (`ctl refund ERSREFERENCE AMOUNT`); then `ctl ack ID`" },
  "reservation-may-be-open": { meaning: "a flow was marked settled by a technician but its invoice could not be read: a reservation may hold the customer's money until it lapses", action: "check the invoice in the Glase report; cancel it there if it is still reserved; then `ctl ack ID`" },
  // --- chargers (OCPP 1.6J driver's `fault` events, device-fault-<code>; clear with ctl ack) ---
  "device-fault-OCPP_STOP_IGNORED": { meaning: "a charger certainly kept charging after RemoteStopTransaction (Charging reported, and if stamped not stamped earlier, after it accepted the stop — a Rejected stop is none — or its register grew between the replies to two TriggerMessage(MeterValues) the agent sent after that answer — a lower bound, no clock involved; queued or unsolicited samples are progress only; no Finishing/Available since) and no StopTransaction came within stopTimeoutS; the session was settled as an overrun (the reserved amount)", action: "check the charger's RemoteStop handling and its own record of the transaction; refund the difference if it did stop (`ctl refund`); then `ctl ack ID`" },
  "device-fault-OCPP_STOP_MISSING": { meaning: "a charger's connector left the transaction (Available/Finishing reported) but no StopTransaction came within lateStopWaitS; RemoteStop was sent and what was metered was settled, capped at the connector's rated power × the session's time", action: "compare with the charger's own transaction record (its back office or local log); refund or collect the difference; then `ctl ack ID`" },
  "device-fault-OCPP_STOP_UNCONFIRMED": { meaning: "a charger accepted (or did not answer) RemoteStopTransaction, sent no StopTransaction and gave no conclusive sign of charging on, re-sent stops included, until the last moment that still settles before the reservation lapses (maxSessionS + stopTimeoutS after the authorization); the progress seen was settled, capped at the rated power × the session's time and at the reservation; the message names the connector's last status", action: "check the charger (RemoteStop handling, a stuck transaction, its link) and its own record of the transaction; collect or refund the difference (`ctl refund`); then `ctl ack ID`" },
  "device-fault-OCPP_STOP_REJECTED": { meaning: "a charger answered Rejected to RemoteStopTransaction for a transaction it is running (twice for the session; no StopTransaction came): a Rejected stop is no stop, so the agent sends it again every quarter of stopTimeoutS (at most 15 s) and never settles an overrun on it; the session ends with its StopTransaction, or at the last safe moment with the progress seen (OCPP_STOP_UNCONFIRMED)", action: "check the charger's transaction state (does it know the transaction id? a firmware that loses it after a reboot); stop the session at the charger if it keeps charging; then `ctl ack ID`" },
  "device-fault-OCPP_LATE_STOP": { meaning: "a StopTransaction came after the agent had already settled the session; its meterStop is in the message and was not settled again", action: "compare the message's metered and settled figures; refund or collect the difference; then `ctl ack ID`" },
  "device-fault-OCPP_METER_RESET": { meaning: "a charger's meterStop was below its meterStart: the energy register was reset during the session (reboot, meter swap); the progress seen was settled, capped at the connector's rated power × the session's time (maxPowerW; 350 kW if unknown), and energy no reading showed was not billed", action: "check the charger's meter and firmware (a reboot mid-session?); compare with the charger's own transaction record; collect or refund the difference (`ctl refund`); then `ctl ack ID`" },
  "device-fault-OCPP_METER_DISAGREES": { meaning: "a charger's meter samples disagreed with its meterStop (a sample above meterStop, or a reading that went backwards): meterStop − meterStart, the charger's own end reading, was settled, never more; or meterStop − meterStart was more than twice the connector's rated power could deliver in the session (a zero-based meterStart with an absolute meterStop, a corrupted meterStop): the progress seen was settled instead, capped at the rated power × the session's time; the message names meterStart, meterStop and what was settled", action: "compare with the charger's own transaction record and check its meter (glitching reads, a unit mix-up, a clock change); collect the difference if meterStop was wrong (or, for a meterStop above the rated power, if the charger really delivered more: check maxPowerW); then `ctl ack ID`" },
  "device-fault-OCPP_CONFIG_REFUSED": { meaning: "a charger refused a setting the agent needs: MeterValuesSampledData or MeterValueSampleInterval (its sessions report no progress and stop on the stall rule), or StopTransactionOnInvalidId=true (a transaction the agent refuses may keep charging until the agent's RemoteStop is obeyed), or answered Rejected to AuthorizationCacheEnabled, LocalAuthorizeOffline or AllowOfflineTxForUnknownId=false (a card could charge without the agent, from its cache or while offline)", action: "set the key on the charger by hand (its web UI or vendor tool) or update its firmware; it is set again at every connection; then `ctl ack ID`" },
  "device-fault-OCPP_SCHEMA_VIOLATION": { meaning: "a charger sends StopTransaction or MeterValues against the OCPP 1.6 schema in a part the agent does not settle from (the message names the charger and the field, e.g. a numeric sampled value or an OCPP 2.0.1 measurand); the message was answered and settled without that part, so nothing was lost", action: "report the field to the charger's vendor and update its firmware; each kind is logged once per charger (`ocpp_schema_violation_accepted`); then `ctl ack ID`" },
  "device-fault-OCPP_FLOOD": { meaning: "a charger kept the agent busy beyond maxCallsPerSecond (each call costs a write, a log line or a call back) for longer than the flood window, even waiting for every answer: its calls were slowed down, then its connection was closed (it is refused for a while, then may reconnect; what it had not got an answer to is still queued in it)", action: "check the charger (a firmware loop re-sending StartTransaction or StatusNotification, a hostile device using its id and password); if it is a real offline queue draining, raise maxCallsPerSecond; then `ctl ack ID`" },
  "device-fault-OCPP_NO_REGISTER": { meaning: "a charging session's MeterValues carry no energy register the agent can read (Energy.Active.Import.Register, location Outlet or absent, no phase, Raw, Wh or kWh): the message says what the charger sends instead (e.g. the register at its Inlet); the session reports no progress, so no limit stop, and the flow's stall rule stops it; settlement still uses the exact meterStop", action: "configure the charger to sample Energy.Active.Import.Register at its outlet (MeterValuesSampledData; docs/ocpp.md, What the agent needs of a charger) or update its firmware; then `ctl ack ID`" },
  "device-fault-OCPP_DRIVER_FAILED": { meaning: "a background step of the OCPP driver failed (a stop, a settlement or a store write run by a timer — e.g. the driver store's disk full or failing); the message names the step and the session; the step is tried again by the session's next timer, stop or reconnect", action: "check the journal disk (`df`, `journalctl -u glase-agent`) and the session named; then `ctl ack ID`" },
  // --- the Invoice Service (pay-by-invoice; clear with ctl ack) ---
  "invoice-unknown-invoice": { meaning: "notifications name Invoice Service ids this issuer does not know (aggregated; the count is in the message)", action: "check the issuer name and secret against the Invoice Service, and who sends notifications to the endpoint; then `ctl ack ID`" },
  "invoice-id-mismatch": { meaning: "the Invoice Service answered details for another id than asked", action: "report to Glase support with the ids in the message; nothing was released; `ctl ack ID`" },
  "invoice-not-paid": { meaning: "a notified invoice is not PAID according to its details", action: "nothing was released; if the customer says they paid, check the Invoice Service; `ctl ack ID`" },
  "invoice-unknown-reference": { meaning: "a paid invoice carries a reference this agent never issued", action: "find who issued it (another till on the same issuer?); refund if nobody was served; `ctl ack ID`" },
  "invoice-mismatch": { meaning: "a paid invoice's amount or currency differ from the one issued; nothing was released", action: "serve or refund the customer by hand (`ctl refund`); `ctl ack ID`" },
  "invoice-duplicate-payment": { meaning: "an invoice already paid was paid again under another Invoice Service id", action: "refund the second payment (`ctl refund`); `ctl ack ID`" },
  "invoice-release-failed": { meaning: "releasing the service after an Invoice Service payment failed", action: "serve the customer by hand or refund; `ctl ack ID`" },
  "invoice-release-interrupted": { meaning: "the agent stopped while releasing after an Invoice Service payment: the outcome is unknown and the release is not repeated", action: "ask whether the service was delivered; if not, serve or refund; `ctl ack ID`" },
};

/**
 * Families of codes whose last part the device names (an open set): `device-fault-<CODE>` is a
 * controller's own fault code — the line board's `*FAULT` code, an OCPP StatusNotification
 * errorCode, PTS_* from a PTS-2 controller, OCPP_* from the central system.
 */
export interface AlarmFamily extends AlarmEntry {
  /** The codes start with this. */
  readonly prefix: string;
  /** As docs/alarms.md writes it: the prefix and a placeholder. */
  readonly pattern: string;
  /** Codes known to be raised in the family (documented with their meaning). */
  readonly known: Readonly<Record<string, string>>;
}

export const ALARM_FAMILIES: readonly AlarmFamily[] = [
  {
    prefix: "device-fault-",
    pattern: "device-fault-<CODE>",
    meaning: "a pump/charger controller reported a fault (the device's own code after the prefix; the message says which controller and point); a delivery in progress on that point ends",
    action: "see the controller's/charger's documentation for the code; check the point at the device, clear the fault there; then `ctl ack ID`",
    known: {
      // PTS-2's own codes: meaning and action in drivers/pts2/alarms.ts and their own table.
      ...Object.fromEntries(Object.keys(PTS_FAULTS).map((c) => [c, "PTS-2: see Forecourt controller faults (PTS-2)"])),
      OCPP_LATE_STOP: "OCPP: a charger reported a transaction's end after the agent settled it",
      OCPP_STOP_IGNORED: "OCPP: a charger kept a transaction running after RemoteStopTransaction (settled as an overrun)",
      OCPP_STOP_MISSING: "OCPP: a charger ended a transaction without StopTransaction (what was metered was settled)",
      OCPP_STOP_REJECTED: "OCPP: a charger answered Rejected to RemoteStopTransaction for its running transaction (the stop is sent again)",
      OCPP_STOP_UNCONFIRMED: "OCPP: a stopped charger neither ended the transaction nor showed it charges on by the last safe moment (the progress seen was settled)",
      OCPP_METER_RESET: "OCPP: see Chargers (OCPP 1.6J)",
      OCPP_METER_DISAGREES: "OCPP: see Chargers (OCPP 1.6J)",
      OCPP_CONFIG_REFUSED: "OCPP: see Chargers (OCPP 1.6J)",
      OCPP_SCHEMA_VIOLATION: "OCPP: see Chargers (OCPP 1.6J)",
      OCPP_FLOOD: "OCPP: see Chargers (OCPP 1.6J)",
      OCPP_NO_REGISTER: "OCPP: see Chargers (OCPP 1.6J)",
      OCPP_DRIVER_FAILED: "OCPP: see Chargers (OCPP 1.6J)",
      "<errorCode>": "OCPP: a connector's StatusNotification errorCode (e.g. GroundFailure, OverCurrentFailure)",
      "<code>": "line board: the `*FAULT` code (docs/dispenser-protocol.md), e.g. PULSER, POWER",
    },
  },
];

/** The action for `code`; an uncatalogued code (a bug) still tells the technician where to look. */
export function alarmAction(code: string): string {
  // A controller's fault is `device-fault-<code>`; the PTS-2 driver catalogues its own codes.
  const device = code.startsWith("device-fault-") ? PTS_FAULTS[code.slice("device-fault-".length)] : undefined;
  return ALARM_CATALOGUE[code]?.action ?? device?.action ?? ALARM_FAMILIES.find((f) => code.startsWith(f.prefix))?.action ?? "not in the alarm catalogue (docs/alarms.md): read the message and the log (journalctl -u glase-agent)";
}
