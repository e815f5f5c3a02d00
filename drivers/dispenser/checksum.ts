// The line checksum of the controller protocol (docs/dispenser-protocol.md §2): the 8-bit XOR of
// every byte of the line body, written as two upper-case hex digits. XOR is what the board's
// firmware can compute byte by byte without tables, and it catches every single-bit error and
// every odd number of flipped bits in a column — enough for a short RS-232/RS-485 line next to
// a CRC-less UART; the transport (TCP) or the version handshake catches the rest.

/** XOR of the char codes of `body` (callers pass ASCII only). */
export function xorChecksum(body: string): number {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return x;
}

export function checksumHex(body: string): string {
  return xorChecksum(body).toString(16).toUpperCase().padStart(2, "0");
}
