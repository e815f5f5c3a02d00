// Times and amounts as a customer of the station reads them: the station's time zone
// (`station.timeZone`, default the system's) and its locale's conventions via Intl. Amounts stay
// integer minor units until the last step: only the decimal separator is the locale's.
import { AgentError } from "../errors.ts";
import { formatMinor } from "../money.ts";
import { INTL_TAG, type Locale } from "./messages.ts";

export interface StationLocale {
  readonly locale: Locale;
  /** IANA zone (Europe/Berlin); absent = the system's. */
  readonly timeZone?: string;
}

/** Throws CONFIG_INVALID for a zone Intl does not know (checked when the config is loaded). */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new AgentError("CONFIG_INVALID", `unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Stockholm)`, { timeZone });
  }
}

const ZONED = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const FIELDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;

/**
 * An xs:dateTime as the station's local time: one with a zone (ours are UTC) is converted to the
 * station's zone; a zoneless one is already the till's local time (contract §9) and is shown as
 * it reads. Anything unreadable is printed as given, never dropped.
 */
export function formatStationTime(iso: string, s: StationLocale): string {
  const m = FIELDS.exec(iso.trim());
  if (!m) return iso;
  const zoned = ZONED.test(iso.trim());
  const ms = zoned ? Date.parse(iso) : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  if (!Number.isFinite(ms)) return iso;
  const timeZone = zoned ? s.timeZone : "UTC";
  return new Intl.DateTimeFormat(INTL_TAG[s.locale], {
    ...(timeZone !== undefined ? { timeZone } : {}),
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(ms);
}

const decimals = new Map<Locale, string>();

/** The locale's decimal separator ("," in sv/de/fi/nb/da, "." in en). */
export function decimalSeparator(locale: Locale): string {
  let d = decimals.get(locale);
  if (d === undefined) {
    d = new Intl.NumberFormat(INTL_TAG[locale]).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".";
    decimals.set(locale, d);
  }
  return d;
}

/** 41250 → "412,50" (sv); exact: the digits are formatMinor's, only the separator changes. */
export function formatAmount(minor: number, locale: Locale): string {
  return formatMinor(minor).replace(".", decimalSeparator(locale));
}
