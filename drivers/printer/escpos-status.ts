// DLE EOT real-time status (ESC/POS "transmit real-time status"), both directions: the driver's
// query and decoding, and the encoding the virtual printer answers with. One module so the two
// sides cannot drift apart.
//
// Every status byte has fixed bits: bit 1 and bit 4 set, bits 0 and 7 clear ((b & 0x93) === 0x12).
//   n=1 printer status:     bit 3 = offline
//   n=2 offline cause:      bit 2 = cover open, bit 5 = printing stopped by paper end, bit 6 = error
//   n=4 roll paper sensor:  bits 5+6 = paper end
import type { PrinterHealth } from "../../contracts/printer.ts";

/** The three queries we send, in order; the printer answers one byte each, in the same order. */
export const STATUS_QUERY = Buffer.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04]);
export const STATUS_RESPONSE_LENGTH = 3;

const FIXED_MASK = 0x93;
const FIXED_BITS = 0x12;

export interface PrinterCondition {
  readonly paperOut: boolean;
  readonly coverOpen: boolean;
  readonly offline: boolean;
}

export const HEALTHY: PrinterCondition = { paperOut: false, coverOpen: false, offline: false };

/** The byte a printer in `condition` answers to DLE EOT n (n outside 1..4: the fixed bits only). */
export function statusByte(n: number, condition: PrinterCondition): number {
  // A printer with no paper or an open cover is offline too, as real printers report it.
  const offline = condition.offline || condition.paperOut || condition.coverOpen;
  switch (n) {
    case 1:
      return FIXED_BITS | (offline ? 0x08 : 0);
    case 2:
      return FIXED_BITS | (condition.coverOpen ? 0x04 : 0) | (condition.paperOut ? 0x20 : 0);
    case 4:
      return FIXED_BITS | (condition.paperOut ? 0x60 : 0);
    default:
      return FIXED_BITS;
  }
}

/**
 * Decodes the answer to STATUS_QUERY. The most specific cause wins (paper out, then cover open,
 * then offline), because a printer out of paper also reports itself offline. Bytes that fail the
 * fixed-bit check (line noise, an automatic status back in between) give "unknown".
 */
export function decodeStatus(response: Uint8Array): PrinterHealth {
  if (response.length !== STATUS_RESPONSE_LENGTH) return "unknown";
  const [printer, offlineCause, paper] = [response[0]!, response[1]!, response[2]!];
  if ([printer, offlineCause, paper].some((b) => (b & FIXED_MASK) !== FIXED_BITS)) return "unknown";
  if ((paper & 0x60) === 0x60 || (offlineCause & 0x20) !== 0) return "paper-out";
  if ((offlineCause & 0x04) !== 0) return "cover-open";
  if ((printer & 0x08) !== 0 || (offlineCause & 0x40) !== 0) return "offline";
  return "ok";
}
