// The station's language and time zone for what customers read: receipts (the printer lays them
// out) and the point displays (texts translated on their way to the controller).
import type { DispenserController, SaleVerdict } from "../../contracts/dispenser.ts";
import type { AgentConfig } from "../config/schema.ts";
import type { StationLocale } from "../../base/i18n/format.ts";
import { displayText, type Locale } from "../../base/i18n/messages.ts";

export function stationLocaleOf(config: AgentConfig): StationLocale {
  const s = config.station;
  return { locale: s.locale ?? "en", ...(s.timeZone !== undefined ? { timeZone: s.timeZone } : {}) };
}

/** The controller with every display text in `locale`; everything else passes through. */
export function localizedDisplays(c: DispenserController, locale: Locale): DispenserController {
  if (locale === "en") return c;
  return {
    onEvent: (l) => c.onEvent(l),
    hello: () => c.hello(),
    status: () => c.status(),
    prices: () => c.prices(),
    authorize: (cmd) => c.authorize(cmd),
    stop: (point) => c.stop(point),
    display: (point, text) => c.display(point, displayText(text, locale)),
    saleRecord: (id) => c.saleRecord(id),
    ...(c.settled ? { settled: (id: string) => c.settled!(id) } : {}),
    ...(c.resolveSale ? { resolveSale: (id: string, verdict: SaleVerdict) => c.resolveSale!(id, verdict) } : {}),
    close: () => c.close(),
  };
}
