// Invoice Service QR payload (contract §6.12, §7.4): `HTTP://SEQR.SE/000/invoice?j=<JWT>`.
// A Glase deployment substitutes its own host, so the host is a parameter.
export const DEFAULT_QR_HOST = "SEQR.SE";

export function invoiceQr(jwt: string, host: string = DEFAULT_QR_HOST): string {
  return `HTTP://${host}/000/invoice?j=${jwt}`;
}

const QR = /^https?:\/\/([^/?#]+)\/000\/invoice\?j=([A-Za-z0-9_.-]+)$/i;

/** Extracts the JWT from a scanned QR payload; undefined when it is not an invoice QR of `host`. */
export function jwtOfQr(qr: string, host: string = DEFAULT_QR_HOST): string | undefined {
  const m = QR.exec(qr.trim());
  if (!m || m[1]!.toLowerCase() !== host.toLowerCase()) return undefined;
  return m[2];
}
