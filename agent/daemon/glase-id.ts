// Glase ID (seqrId on the wire, contract §3.2/§4.12): the number on the static QR sticker of a
// point. Typed by the technician or scanned — either the sticker's Code 128 barcode (the bare
// number) or its QR code (`HTTP://SEQR.SE/Q<seqrId>`, any host). Glase accepts any alphanumeric
// string (result 53 otherwise), so that is what we validate before calling it.
import { AgentError } from "../../base/errors.ts";

const QR_FORM = /^https?:\/\/[^/]+\/Q([A-Za-z0-9]+)$/i;
const GLASE_ID = /^[A-Za-z0-9]{1,64}$/;

/** Returns the Glase ID in a typed or scanned text, or throws INPUT_INVALID naming the problem. */
export function parseGlaseId(input: string): string {
  const text = input.trim();
  const fromQr = QR_FORM.exec(text)?.[1];
  const id = fromQr ?? text;
  if (id === "") throw new AgentError("INPUT_INVALID", "Glase ID: empty", { input });
  if (!GLASE_ID.test(id)) {
    throw new AgentError("INPUT_INVALID", `Glase ID '${id.slice(0, 80)}': only letters and digits (max 64) are accepted`, { input: id.slice(0, 80) });
  }
  return id;
}
