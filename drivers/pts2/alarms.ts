// The alarms a PTS-2 controller's faults become (`device-fault-<code>`, agent/flows/dispenser-link.ts):
// what each means and what the technician does. The alarm book shows the action under each alarm
// (agent/alarms/catalogue.ts looks device faults up here); docs/alarms.md carries the same table,
// and test/drivers/pts2/review-units.test.ts checks both list every fault code the driver raises.
export interface PtsFaultEntry {
  readonly meaning: string;
  readonly action: string;
}

export const PTS_FAULTS: Readonly<Record<string, PtsFaultEntry>> = {
  PTS_PUMP_OFFLINE: {
    meaning: "the controller lost the pump (cable, pump power, pump address); a fill running then is not final until the pump is back",
    action: "check the pump's power and its line to the controller (the controller's web UI shows the pump channel state); then `ctl ack ID`",
  },
  PTS_PRICE_MISMATCH: {
    meaning: "a grade's price on the controller differs from the configured one (or the controller has no such grade); with `priceMismatch: refuse` that grade is not sold",
    action: "make the controller's fuel-grade price and the agent's `grades` agree (price board included): a price changed on the controller is read again at the next price check (`priceCheckIntervalMs`), a change of the agent's `grades` needs `systemctl restart glase-agent` (a reload does not apply `devices`, where the PTS-2 configuration lives); then `ctl ack ID`",
  },
  PTS_STOP_IGNORED: {
    meaning: "a pump kept filling after PumpStop; PumpEmergencyStop was sent",
    action: "check the pump's valve and the controller's pump protocol settings before selling on it again; then `ctl ack ID`",
  },
  PTS_SALE_MISMATCH: {
    meaning: "a sale ran (or ended) at another price, grade or nozzle than authorized; the flow stopped the pump and charged the lower of the controller's amount and the volume at the authorized price (the message has both) — or the transaction read at a sale's end shows less than the pump's own end status under the same number: then nothing is settled, the flow's reads stay an error until a person decides (review 14t, T2)",
    action: "compare with the pump's display and the controller's transaction; collect or refund any difference (`ctl refund`); fix the controller's price/nozzle configuration; then `ctl ack ID`",
  },
  PTS_FOREIGN_TRANSACTION: {
    meaning: "the transaction number of an unconfirmed authorization (its answer lost) holds someone else's sale (POS, card reader, web UI); it was not charged, not stopped, and the customer's authorization was given up (an authorization the controller CONFIRMED is never judged someone else's on its UserId: it is parked, PTS_OWNERSHIP_UNKNOWN with PTS_USER_MISMATCH)",
    action: "check the controller's transaction list for that pump; if our customer fuelled anyway, look the flow up (`ctl flows --all`) and collect by hand; avoid other systems numbering on the agent's pumps; then `ctl ack ID`",
  },
  PTS_UNOWNED_DELIVERY: {
    meaning: "fuel ran under an authorization the agent had given up (void, or refused after a lost answer: its PumpAuthorize landed late, maybe after the customer's flow was cancelled); it was stopped and closed, charged to nobody (the figures are in the message)",
    action: "collect from the customer if still there, else record a drive-off for that pump and transaction; then `ctl ack ID`",
  },
  PTS_TRANSACTION_LOST: {
    meaning: "the controller no longer knows a transaction it confirmed (a reboot that lost or renumbered its records), or its number now holds a sale that is not provably ours (another UserId — after a reboot the attendant's POS took the number — or, after the controller was unreachable, none to compare): the sale cannot be read, the other sale is neither charged to the flow nor touched; the flow parks at its commit deadline. Lost on a plain \"not found\" (no other sale named), the flow's stop and a technician's cancel still stop the pump while it shows the lost number (review 14t, T4)",
    action: "read the sale off the pump's display/totals, collect it by hand, then `ctl resolve FLOW mark-settled` (releases the reservation; docs/technician.md); check the controller's memory/firmware; then `ctl ack ID`",
  },
  PTS_OWNERSHIP_UNKNOWN: {
    meaning: "an authorization the controller confirmed reads back under another UserId than the agent's trusted id (PTS_USER_MISMATCH: the agent's login after the controller's users were re-created, or the POS that took the number the agent had just found free), or an authorization whose answer was lost (or an agent restart in the middle of one) found a transaction under its number — or, refused on a resend, found the pump holding an authorization under a number the agent never asked for (a controller that numbers on its own: the message names both numbers; the sale is parked under the pump's number and, waiting for a nozzle, revoked at once) — and nothing proves whose it is: the controller reports no UserId, or the agent's controller user id was not yet corroborated by a sale the controller confirmed (a fresh install, a new `controllerUserId`), or it is in doubt (PTS_USER_MISMATCH, PTS_USER_SHARED); the flow waits for a person: not charged, not cancelled. The driver revokes an authorization of that number still waiting for a nozzle (nothing is filling then: the stop only withdraws it) and, once the flow has given the sale up, closes its end if the controller reads it at 0 ml and 0 amount (nobody's fuel: the flow cancels the reservation, nothing delivered); it never stops a fill under that number and never closes an end with fuel on it — that end blocks the pump (PTS_PUMP_STUCK after `closeUnsettledAfterMs`) until decided",
    action: "on the controller's transaction list open that pump's transaction (number in the message): who authorized it (user), volume, amount. The agent's user and our customer's fill: `ctl resolve FLOW claim` — charged once at the controller's figures, but only while the customer's reservation lives: decide before it lapses, `commitReservationTimeoutS` − `commitSafetyMarginS` after the reservation (900 − 60 s, about 14 min, with the defaults); after that the flow re-parks as reservation-lapsed, the invoice is cancelled and the fill can no longer be charged (`ctl resolve FLOW claim` then only records the decision); someone else's (POS, attendant, web UI): `ctl resolve FLOW disown` — nothing charged, the pump left to its owner (an end with fuel stays for the owner to close: PTS_PUMP_STUCK follows). `retry` only reads again: it cannot decide this. `cancel` releases the customer's reservation (nothing charged) and the flow then holds the point (`securing`) until the sale's end is seen: a 0-ml end is closed by the agent and ends it; with fuel on the end, `ctl resolve FLOW mark-settled` ends it, and the transaction stays on the controller for its owner to collect and close (the agent never closes fuel it has not settled); then `ctl ack ID`",
  },
  PTS_USER_MISMATCH: {
    meaning: "the controller confirmed the agent's own authorization as another controller user than `controllerUserId` or than the id it had corroborated (a wrong Id in the config, or the controller's users table changed — the message names both ids): a sale whose confirmation contradicts a corroborated id is parked (PTS_OWNERSHIP_UNKNOWN: its reservation kept, not charged until decided) — also when that check could only run later (a failed read, an agent restart before it), and its fuel is not reported as the flow's until it has run; that id is then in doubt, across restarts, until a sale the agent sends afterwards is confirmed under it again: every sale confirmed under another id is parked the same way, and an authorization whose answer is lost is parked (never judged someone else's, never settled)",
    action: "on the controller's users page read the Id of the user the agent logs in as (the message names the one the controller confirmed); set `controllerUserId` to it, then `systemctl restart glase-agent` (a reload does not apply `devices`, where the PTS-2 configuration lives); decide each flow parked meanwhile (PTS_OWNERSHIP_UNKNOWN) after checking its transaction on the controller: `ctl resolve FLOW claim` (ours) or `disown` (not ours) — the fix does not decide them; then `ctl ack ID`",
  },
  PTS_USER_SHARED: {
    meaning: "a transaction the agent never sent was authorized as the agent's own controller user (a POS or the web UI logs in with the agent's credentials): its sales cannot be told from the agent's, so until the agent has a user of its own an authorization whose answer is lost is parked (never settled)",
    action: "create a new controller user only the agent uses (the shared state ends only with a new `controllerUserId`) and give the POS its own; set the agent's `auth.user`/`auth.passwordFile` and `controllerUserId` to the new user, then `systemctl restart glase-agent` (a reload does not apply `devices`, where the PTS-2 configuration lives); the new id is trusted once the controller confirms the agent's next authorization; decide each flow parked meanwhile (PTS_OWNERSHIP_UNKNOWN) after checking its transaction on the controller: `ctl resolve FLOW claim` (ours) or `disown` (the POS's) — the new user does not decide them; then `ctl ack ID`",
  },
  PTS_GRADES_UNREADABLE: {
    meaning: "the controller's fuel grade or nozzle configuration cannot be read (a grade the agent sells has a price it cannot decode, e.g. more decimals than `priceDigits`; the message names the field): no pump can be authorized",
    action: "fix the named grade on the controller (read again at the next link-up or price check), or set `priceDigits` to the controller's price decimals and `systemctl restart glase-agent` (a reload does not apply `devices`, where the PTS-2 configuration lives); then `ctl ack ID`",
  },
  PTS_PUMP_STUCK: {
    meaning: "a pump has stood for longer than `closeUnsettledAfterMs` at the end of a transaction the agent does not close: one no open sale of the agent holds (the POS's or another system's sale not closed, or one the agent gave up), or one with fuel on it held by a sale parked PTS_OWNERSHIP_UNKNOWN (the message names the flow): the controller refuses every authorization on that pump meanwhile",
    action: "a parked sale named in the message: decide it first (`ctl resolve FLOW claim` — ours: charged, then closed by the agent; `disown` — not ours); then find who owns that transaction (controller's transaction list: user, POS); collect it there or record it, then close it (POS or the controller's web UI); then `ctl ack ID`",
  },
  PTS_NUMBERS_NOT_HONOURED: {
    meaning: "the controller confirmed an authorization of the agent under another transaction number than the one the agent asked for — or, its answer lost, the agent found it live on the pump under the controller's own number, authorized by the agent's trusted user, and adopted it (review 8, R8-2): it assigns its own numbers, so a lost answer could leave an authorization live under a number the agent cannot know (free fuel for the next driver); the sale that showed it goes on under the controller's number, and the agent authorizes no more sales on that controller (DEVICE_REJECTED PTS_NUMBERS_NOT_HONOURED); a stop then revokes any authorization waiting on an idle pump",
    action: "update the controller's firmware to one whose PumpAuthorize honours the requested `Transaction` (and check no proxy or other system rewrites the agent's requests); then set `numbersHonouredSince` in that controller's PTS-2 configuration to the time of the fix (ISO date-time, after the alarm and not in the future of the agent's clock — a future time is ignored; if the alarm's time is itself ahead of the agent's clock, any time not in the future will do) and `systemctl restart glase-agent` (a reload does not apply `devices`); then `ctl ack ID`",
  },
};
