// The Qibixx MDB line protocol (MDB-USB interface, MDB Pi Hat), cashless-device ("slave") part,
// as the host side of the adapter speaks it (docs/mdb.md cites the sources). ASCII lines ending
// in LF (CR LF accepted); capital `C,…` lines go to the adapter, lower-case `c,…` lines come
// from it. Other prefixes (`r,ACK`, `x,` sniffer, `d,` cashless master, `v,` version, `h,`
// hardware, `f,`/`l,` config answers) are chatter for us: known, not garbage, ignored.
import { formatMinor, parseMinor } from "../../base/money.ts";

export type AmountFormat =
  /** "1.00", "2.5", "1": major units with decimals, as Qibixx shows them by default. */
  | "decimal"
  /** "150": minor units (adapters set up with scale factor 1 and 0 decimals). */
  | "minor";

export type ReaderStatus = "INACTIVE" | "DISABLED" | "ENABLED" | "IDLE";

export type AdapterError =
  | "vend-cancelled" // c,ERR,VEND 1 — the VMC cancelled the vend request (customer, VMC timeout)
  | "vend-failed" // c,ERR,VEND 3 — the VMC could not dispense after approval
  | "vend-reset" // c,ERR,VEND 5 — the VMC reset the reader during the vend
  | "invalid-payload" // c,ERR,"VEND -2"
  | "wrong-state" // c,ERR,"VEND -3" — e.g. C,VEND when no vend request is pending
  | "already-on" // c,ERR,"cashless is on" — answer to C,1 when enabled already
  | "other";

export type AdapterLine =
  | { readonly kind: "status"; readonly status: ReaderStatus; readonly rest?: string }
  | { readonly kind: "vend-request"; readonly amountMinor: number; readonly product: string }
  | { readonly kind: "vend-success" }
  | { readonly kind: "error"; readonly error: AdapterError; readonly text: string }
  | { readonly kind: "chatter"; readonly text: string };

export type ParseResult = { readonly ok: true; readonly line: AdapterLine } | { readonly ok: false; readonly problem: string };

const PRODUCT = /^[0-9A-Za-z_-]{1,16}$/;
const CHATTER = /^(r|x|d|v|h|f|l),/;
const ERRORS: Record<string, AdapterError> = {
  "VEND 1": "vend-cancelled",
  "VEND 3": "vend-failed",
  "VEND 5": "vend-reset",
  '"VEND -2"': "invalid-payload",
  '"VEND -3"': "wrong-state",
  '"cashless is on"': "already-on",
};

export function parseAmount(text: string, format: AmountFormat): number | undefined {
  if (format === "minor") return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text)) return undefined;
  return parseMinor(text);
}

export function formatAmount(minor: number, format: AmountFormat): string {
  return format === "minor" ? String(minor) : formatMinor(minor);
}

/** One line from the adapter; never throws. A line that is none of the known shapes is a problem (garbage). */
export function parseAdapterLine(raw: string, format: AmountFormat): ParseResult {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.length === 0 || line.length > 200 || /[^\x20-\x7e]/.test(line)) return { ok: false, problem: "empty, over-long or not printable ASCII" };
  if (CHATTER.test(line)) return { ok: true, line: { kind: "chatter", text: line } };
  if (!line.startsWith("c,")) return { ok: false, problem: "not an adapter line" };
  const parts = line.split(",");
  switch (parts[1]) {
    case "STATUS": {
      if (parts[2] === "VEND") {
        if (parts.length !== 5) return { ok: false, problem: "c,STATUS,VEND needs <amount>,<product>" };
        const amountMinor = parseAmount(parts[3]!, format);
        if (amountMinor === undefined || amountMinor <= 0) return { ok: false, problem: `bad vend amount ${JSON.stringify(parts[3])}` };
        if (!PRODUCT.test(parts[4]!)) return { ok: false, problem: `bad product ${JSON.stringify(parts[4])}` };
        return { ok: true, line: { kind: "vend-request", amountMinor, product: parts[4]! } };
      }
      const status = parts[2];
      if (status === "INACTIVE" || status === "DISABLED" || status === "ENABLED" || status === "IDLE") {
        return { ok: true, line: { kind: "status", status, ...(parts.length > 3 ? { rest: parts.slice(3).join(",") } : {}) } };
      }
      return { ok: false, problem: `unknown status ${JSON.stringify(status)}` };
    }
    case "VEND":
      if (parts[2] === "SUCCESS") return { ok: true, line: { kind: "vend-success" } };
      return { ok: false, problem: "unknown c,VEND line" };
    case "ERR": {
      const text = parts.slice(2).join(",");
      return { ok: true, line: { kind: "error", error: ERRORS[text] ?? "other", text } };
    }
    case "SET":
    case "UNKNOWN":
    case "1":
    case "0":
      return { ok: true, line: { kind: "chatter", text: line } };
    default:
      return { ok: false, problem: `unknown c,${parts[1] ?? ""} line` };
  }
}

/** Commands to the adapter (each one line, LF-terminated). */
export const command = {
  /** Switch the cashless device on: the VMC then finds and enables it (c,STATUS,…,ENABLED). */
  enable: () => "C,1\n",
  disable: () => "C,0\n",
  /** Approve the pending vend request for this amount. */
  approve: (amountMinor: number, format: AmountFormat) => `C,VEND,${formatAmount(amountMinor, format)}\n`,
  /** Deny the pending vend request / end the session. */
  deny: () => "C,STOP\n",
};
