// What a scanned text means (pure). Contract §3.2/§4.12: a Glase ID (seqrId) is a free
// alphanumeric string, printed on the sticker as Code 128 and inside the sticker QR
// `HTTP://SEQR.SE/Q<seqrId>`; §6.12/§7.4: the Invoice Service QR is `HTTP://SEQR.SE/000/invoice?j=<JWT>`.
// A Glase deployment substitutes its own host for SEQR.SE, so hosts are configurable.
// Bad input is a value (`rejected`), never an exception: scanners deliver line noise.
import type { Scan, ScanRejection } from "../../contracts/scanner.ts";

export interface ScanParserOptions {
  /** Hosts that serve Glase stickers and invoice QRs, compared case-insensitively. */
  readonly glaseHosts: readonly string[];
  /**
   * A bare Code 128 number is only taken as a Glase ID when it starts with this prefix (the
   * contract's tip: merchant-specific prefixes). Empty: any alphanumeric code of a plausible
   * length is a Glase ID — fine where the scanner only ever sees Glase stickers.
   */
  readonly seqrIdPrefix: string;
  /** Longer reads are rejected (an invoice QR with a full JWT stays well under 1 KiB). */
  readonly maxLength: number;
}

export const DEFAULT_SCAN_PARSER_OPTIONS: ScanParserOptions = { glaseHosts: ["SEQR.SE"], seqrIdPrefix: "", maxLength: 2048 };

export type ParseResult = { readonly kind: "scan"; readonly scan: Scan } | { readonly kind: "rejected"; readonly reason: ScanRejection };

/** Longest seqrId we accept from a bare barcode: longer alphanumerics are some other code. */
const MAX_SEQR_ID = 64;
const MIN_SEQR_ID = 4;
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;
/** AIM symbology identifier some scanners prefix: `]` + code letter + modifier digit (]C0 = Code 128). */
const AIM_PREFIX = /^\][A-Za-z][0-9A-Za-z]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** scheme://host/path — scheme HTTP or HTTPS in any case. */
const URL_PARTS = /^https?:\/\/([^/?#]+)(\/[^?#]*)?(\?[^#]*)?$/i;

export function parseScan(raw: string, options: ScanParserOptions = DEFAULT_SCAN_PARSER_OPTIONS): ParseResult {
  // Scanner suffixes (CR, LF, CRLF) are framing, not content.
  const text = raw.replace(/^[\r\n]+|[\r\n]+$/g, "");
  if (text.length > options.maxLength) return { kind: "rejected", reason: "too-long" };
  if (CONTROL.test(text)) return { kind: "rejected", reason: "control-character" };
  const content = text.replace(AIM_PREFIX, "").trim();
  if (content === "") return { kind: "rejected", reason: "empty" };
  return { kind: "scan", scan: classify(content, options) };
}

function classify(text: string, options: ScanParserOptions): Scan {
  const url = URL_PARTS.exec(text);
  if (url !== null && options.glaseHosts.some((host) => host.toUpperCase() === url[1]!.toUpperCase())) {
    const path = url[2] ?? "";
    const query = url[3] ?? "";
    // Sticker QR: /Q<seqrId> (upper- or lowercase Q, no query).
    if (/^\/q/i.test(path) && query === "") {
      const seqrId = path.slice(2);
      if (seqrId.length >= 1 && seqrId.length <= MAX_SEQR_ID && ALPHANUMERIC.test(seqrId)) return { kind: "glase-id", seqrId, from: "sticker-qr" };
    }
    if (path.toLowerCase() === "/000/invoice") {
      const jwt = new URLSearchParams(query.slice(1)).get("j");
      if (jwt !== null && JWT.test(jwt)) return { kind: "invoice-qr", url: text, jwt };
    }
    return { kind: "other", text };
  }
  if (
    text.length >= MIN_SEQR_ID &&
    text.length <= MAX_SEQR_ID &&
    ALPHANUMERIC.test(text) &&
    text.toUpperCase().startsWith(options.seqrIdPrefix.toUpperCase())
  ) {
    return { kind: "glase-id", seqrId: text, from: "code128" };
  }
  return { kind: "other", text };
}
