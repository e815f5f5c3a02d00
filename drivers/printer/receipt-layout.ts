// Receipt layout: ReceiptContent + paper width → the list of lines the encoder turns into ESC/POS.
// Pure (no I/O, no ESC/POS bytes) so the same layout can be tested, printed and shown in a UI.
// Contract §6.9: a payment receipt must show amount, ersReference, "Glase payment" and timestamp.
import { AgentError } from "../../base/errors.ts";
import { formatMilli } from "../../base/money.ts";
import { type StationLocale, decimalSeparator, formatAmount, formatStationTime } from "../../base/i18n/format.ts";
import { RECEIPT_LABELS, type ReceiptLabels } from "../../base/i18n/messages.ts";
import type { ReceiptContent } from "../../contracts/printer.ts";

export type PaperWidth = 58 | 80;

/** Characters per line in font A: 58 mm paper has 384 printable dots (32 × 12), 80 mm 576 (48 × 12). */
export const COLUMNS: Readonly<Record<PaperWidth, number>> = { 58: 32, 80: 48 };

export type Align = "left" | "center" | "right";

export type ReceiptLine =
  | { readonly kind: "text"; readonly text: string; readonly align: Align; readonly bold: boolean; readonly tall: boolean }
  | { readonly kind: "rule" }
  | { readonly kind: "qr"; readonly payload: string }
  | { readonly kind: "feed"; readonly lines: number }
  | { readonly kind: "cut" };

/** GS ( k accepts up to 7089 bytes, but a receipt QR beyond this is unscannable at 58 mm anyway. */
export const MAX_QR_LENGTH = 1200;

/**
 * VAT contained in a VAT-inclusive amount: amount × rate / (100 + rate), rounded half away from zero
 * to a minor unit. The rate may have up to two decimals (7.7 %), so it is scaled to hundredths and
 * the division is done on BigInt: no float ever touches money.
 */
export function vatIncluded(amountMinor: number, ratePercent: number): number {
  const rateHundredths = Math.round(ratePercent * 100);
  if (!Number.isSafeInteger(amountMinor) || !Number.isFinite(ratePercent) || rateHundredths < 0 || Math.abs(ratePercent * 100 - rateHundredths) > 1e-6) {
    throw new AgentError("INPUT_INVALID", `cannot compute VAT of ${amountMinor} at ${ratePercent}%`, { amountMinor, ratePercent });
  }
  const amount = BigInt(Math.abs(amountMinor));
  const rate = BigInt(rateHundredths);
  const denominator = 10_000n + rate;
  const vat = (2n * amount * rate + denominator) / (2n * denominator);
  return Number(vat) * (amountMinor < 0 ? -1 : 1) || 0;
}

/** 25 → "25", 7.7 → "7.7" ("7,7" in sv): rates are printed the way people write them. */
function formatRate(ratePercent: number, decimal = "."): string {
  const hundredths = Math.round(ratePercent * 100);
  const whole = Math.floor(hundredths / 100);
  const frac = hundredths % 100;
  if (frac === 0) return String(whole);
  return `${whole}${decimal}${frac.toString().padStart(2, "0").replace(/0$/, "")}`;
}

/**
 * The VAT lines of a receipt. With rows at different rates, one line per rate: the VAT inside
 * that rate's gross sum, rounded half away from zero per rate (so the lines may differ by a minor
 * unit from a VAT computed per row; each line is exact for its base). One rate: one line.
 */
export function vatLines(content: ReceiptContent): Array<{ readonly ratePercent: number; readonly baseMinor?: number; readonly vatMinor: number }> {
  const byRate = new Map<number, number>();
  for (const b of content.vatBreakdown ?? []) byRate.set(b.ratePercent, (byRate.get(b.ratePercent) ?? 0) + b.grossMinor);
  if (byRate.size > 1) return [...byRate].sort((a, b) => b[0] - a[0]).map(([ratePercent, baseMinor]) => ({ ratePercent, baseMinor, vatMinor: vatIncluded(baseMinor, ratePercent) }));
  const rate = content.vatRatePercent ?? [...byRate.keys()][0];
  return rate === undefined ? [] : [{ ratePercent: rate, vatMinor: vatIncluded(content.amountMinor, rate) }];
}

/**
 * Station names and extra lines come from configuration and the backend: a stray ESC or GS inside
 * them would be executed by the printer as a command, so every control character becomes a space.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

/** Word-wraps to `columns`; words longer than a line are hard-broken (references must not be cut off). */
export function wrap(text: string, columns: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of printable(text).split(" ").filter((w) => w !== "")) {
    let rest = word;
    while (rest.length > 0) {
      const room = line === "" ? columns : columns - line.length - 1;
      if (rest.length <= room) {
        line = line === "" ? rest : `${line} ${rest}`;
        rest = "";
      } else if (line !== "") {
        out.push(line);
        line = "";
      } else {
        out.push(rest.slice(0, columns));
        rest = rest.slice(columns);
      }
    }
  }
  if (line !== "") out.push(line);
  return out.length > 0 ? out : [""];
}

function text(value: string, align: Align = "left", style: { bold?: boolean; tall?: boolean } = {}): ReceiptLine {
  return { kind: "text", text: value, align, bold: style.bold ?? false, tall: style.tall ?? false };
}

/** A pump is a "Pump", a charger a "Charger", a kiosk/car wash/vending machine a "Machine" (review 11 #10a). */
function pointLabel(content: ReceiptContent, t: ReceiptLabels): string {
  const kind = content.pointKind ?? (content.unit === "kWh" ? "ev" : "fuel");
  return kind === "kiosk" ? t.machine : kind === "ev" ? t.charger : t.point;
}

/** "Label            value" on one line when it fits, else the label then the value right-aligned. */
function pair(label: string, value: string, columns: number, style: { bold?: boolean; tall?: boolean } = {}): ReceiptLine[] {
  const l = printable(label);
  const v = printable(value);
  if (l.length + 1 + v.length <= columns) {
    return [text(l + " ".repeat(columns - l.length - v.length) + v, "left", style)];
  }
  return [text(l, "left", style), ...wrap(v, columns).map((part) => text(part, "right", style))];
}

function validate(content: ReceiptContent): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(content.amountMinor)) problems.push("amountMinor must be an integer");
  if (content.milli !== undefined && !Number.isSafeInteger(content.milli)) problems.push("milli must be an integer");
  if (content.unitPriceMinor !== undefined && !Number.isSafeInteger(content.unitPriceMinor)) problems.push("unitPriceMinor must be an integer");
  if (content.vatRatePercent !== undefined && !(content.vatRatePercent >= 0 && content.vatRatePercent < 100)) problems.push("vatRatePercent must be in [0, 100)");
  for (const b of content.vatBreakdown ?? []) {
    if (!(b.ratePercent >= 0 && b.ratePercent < 100) || !Number.isSafeInteger(b.grossMinor)) problems.push("vatBreakdown: rates in [0, 100) and integer gross amounts");
  }
  if (content.ersReference.trim() === "") problems.push("ersReference is empty");
  if (content.timestamp.trim() === "") problems.push("timestamp is empty");
  if (content.qr !== undefined && (content.qr.length === 0 || content.qr.length > MAX_QR_LENGTH || !/^[\x20-\x7e]+$/.test(content.qr))) {
    problems.push(`qr must be 1..${MAX_QR_LENGTH} printable ASCII characters`);
  }
  if (problems.length > 0) {
    throw new AgentError("INPUT_INVALID", `receipt content invalid: ${problems.join("; ")}`, { problems, ersReference: content.ersReference });
  }
}

/**
 * Lays a receipt out for the given paper width, in the station's language and time (labels from
 * base/i18n/messages.ts; the description — "Glase payment" — is printed as given). Throws
 * INPUT_INVALID (never prints garbage).
 */
export function layoutReceipt(content: ReceiptContent, width: PaperWidth, station: StationLocale = { locale: "en" }): ReceiptLine[] {
  validate(content);
  const columns = COLUMNS[width];
  const t = RECEIPT_LABELS[station.locale];
  const dec = decimalSeparator(station.locale);
  const amount = (minor: number) => formatAmount(minor, station.locale);
  const money = (minor: number): string => `${amount(minor)} ${printable(content.currency)}`;
  const lines: ReceiptLine[] = [];

  lines.push(...wrap(content.stationName, columns).map((part) => text(part, "center", { bold: true })));
  lines.push(...pair(t.terminal, content.terminalId, columns));
  lines.push({ kind: "rule" });

  if (content.point !== undefined) lines.push(...pair(pointLabel(content, t), String(content.point), columns));
  if (content.gradeName !== undefined) lines.push(...pair(t.grade, content.gradeName, columns));
  if (content.milli !== undefined && content.unitPriceMinor !== undefined) {
    const unit = content.unit ?? "";
    const perUnit = unit === "" ? money(content.unitPriceMinor) : `${money(content.unitPriceMinor)}/${unit}`;
    lines.push(...wrap(`${formatMilli(content.milli).replace(".", dec)} ${unit} x ${perUnit}`.replace(/\s+/g, " "), columns).map((part) => text(part, "right")));
  } else if (content.milli !== undefined) {
    lines.push(...pair(t.quantity, `${formatMilli(content.milli).replace(".", dec)} ${content.unit ?? ""}`.trim(), columns));
  }
  if (content.point !== undefined || content.gradeName !== undefined || content.milli !== undefined) lines.push({ kind: "rule" });

  lines.push(...pair(t.total, money(content.amountMinor), columns, { bold: true, tall: true }));
  for (const v of vatLines(content)) {
    const rate = formatRate(v.ratePercent, dec);
    const label = v.baseMinor === undefined ? t.vatIncluded.replace("{rate}", rate) : t.vatOf.replace("{rate}", rate).replace("{base}", amount(v.baseMinor));
    lines.push(...pair(label, money(v.vatMinor), columns));
  }
  lines.push({ kind: "rule" });

  lines.push(...wrap(content.description, columns).map((part) => text(part, "center", { bold: true })));
  lines.push(...pair(t.reference, content.ersReference, columns));
  const zone = content.showTimeZone ? ` ${station.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone}` : "";
  lines.push(...pair(t.time, formatStationTime(content.timestamp, station) + zone, columns));

  if (content.qr !== undefined) {
    lines.push({ kind: "feed", lines: 1 });
    lines.push({ kind: "qr", payload: content.qr });
  }
  if (content.extraLines !== undefined && content.extraLines.length > 0) {
    lines.push({ kind: "feed", lines: 1 });
    // A line that fits is printed as given (a laid-out table keeps its columns); a longer one is wrapped.
    for (const extra of content.extraLines) {
      const line = printable(extra);
      lines.push(...(line.length <= columns ? [text(line, "center")] : wrap(extra, columns).map((part) => text(part, "center"))));
    }
  }
  lines.push({ kind: "cut" });
  return lines;
}
