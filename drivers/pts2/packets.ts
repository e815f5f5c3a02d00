// The jsonPTS envelope: `{"Protocol":"jsonPTS","Packets":[{"Id":n,"Type":"…","Data":{…}}, …]}` both
// ways. A request carries several packets, each with its own Id; the answer carries one packet per
// request packet with the same Id, either a result (`Type` names the answer, `Data` holds it) or an
// error (`Error: true`, numeric `Code`, `Message` token). This file only frames and matches; what
// each answer's Data means is decode-*.ts.
import { AgentError } from "../../base/errors.ts";
import { PtsPacketError, ptsErrorCodeOf } from "./errors.ts";

export interface RequestPacket {
  readonly Id: number;
  readonly Type: string;
  readonly Data?: Readonly<Record<string, unknown>>;
}

/** One answer packet, matched to the request packet with its Id. */
export type PacketResult =
  | { readonly ok: true; readonly type: string; readonly data: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: AgentError };

export interface DecodedResponse {
  readonly results: ReadonlyMap<number, PacketResult>;
  /** Answer packets that match no request packet (unknown or repeated Id). */
  readonly unexpected: number;
}

export function encodeRequest(packets: readonly RequestPacket[]): string {
  return JSON.stringify({ Protocol: "jsonPTS", Packets: packets });
}

/**
 * The answer types each request may get. A confirmation-only request (PumpStop, …) may answer with
 * its own name or, on older firmwares, with no Type at all.
 */
const ANSWER_TYPES: Readonly<Record<string, readonly string[]>> = {
  PumpGetStatus: ["PumpIdleStatus", "PumpFillingStatus", "PumpEndOfTransactionStatus", "PumpOfflineStatus", "PumpTotals", "PumpPrices", "PumpTag", "PumpDisplayData"],
  PumpAuthorize: ["PumpAuthorizeConfirmation"],
  PumpGetTransactionInformation: ["PumpTransactionInformation"],
  GetFuelGradesConfiguration: ["FuelGradesConfiguration"],
  GetPumpNozzlesConfiguration: ["PumpNozzlesConfiguration"],
  GetFirmwareInformation: ["FirmwareInformation"],
  GetDateTime: ["DateTime"],
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const protocolError = (message: string, context: Record<string, unknown> = {}) => new AgentError("DEVICE_PROTOCOL", message, context);

/**
 * Reads an answer body against the packets that were sent. Throws DEVICE_PROTOCOL when the body as
 * a whole is not a jsonPTS answer; a single bad packet only fails its own request packet. A request
 * packet the answer says nothing about fails with DEVICE_PROTOCOL (the controller may or may not
 * have run it — the caller decides what that means for its packet).
 */
export function decodeResponse(body: string, sent: readonly RequestPacket[]): DecodedResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw protocolError("controller answer is not JSON", { head: body.slice(0, 80) });
  }
  if (!isRecord(parsed)) throw protocolError("controller answer is not a JSON object");
  if (parsed.Protocol !== "jsonPTS") throw protocolError(`controller answer has Protocol ${JSON.stringify(parsed.Protocol)}, not "jsonPTS"`);
  if (!Array.isArray(parsed.Packets)) throw protocolError("controller answer has no Packets array");

  const byId = new Map(sent.map((p) => [p.Id, p]));
  const results = new Map<number, PacketResult>();
  let unexpected = 0;
  for (const raw of parsed.Packets as unknown[]) {
    const id = isRecord(raw) ? raw.Id : undefined;
    const request = typeof id === "number" ? byId.get(id) : undefined;
    if (!isRecord(raw) || request === undefined || results.has(request.Id)) {
      unexpected++;
      continue;
    }
    results.set(request.Id, decodePacket(raw, request));
  }
  for (const p of sent) {
    if (!results.has(p.Id)) results.set(p.Id, { ok: false, error: protocolError(`controller answer has no packet for ${p.Type} (Id ${p.Id})`, { packetType: p.Type, id: p.Id }) });
  }
  return { results, unexpected };
}

function decodePacket(raw: Record<string, unknown>, request: RequestPacket): PacketResult {
  // Error is a boolean on current firmwares and the string "true"/"false" on some older ones.
  if (raw.Error === true || raw.Error === "true") {
    const code = typeof raw.Code === "number" && Number.isInteger(raw.Code) ? raw.Code : typeof raw.Message === "string" ? ptsErrorCodeOf(raw.Message) : undefined;
    const context: Record<string, unknown> = { id: request.Id };
    if (isRecord(raw.Data)) context.errorData = raw.Data;
    return { ok: false, error: new PtsPacketError(request.Type, code, context) };
  }
  const type = raw.Type;
  const allowed = ANSWER_TYPES[request.Type];
  if (allowed === undefined) {
    // Confirmation requests: their own name, or no Type at all.
    if (type !== undefined && type !== request.Type) return { ok: false, error: protocolError(`${request.Type} answered with type ${JSON.stringify(type)}`, { packetType: request.Type }) };
    return { ok: true, type: request.Type, data: isRecord(raw.Data) ? raw.Data : {} };
  }
  if (typeof type !== "string" || !allowed.includes(type)) {
    return { ok: false, error: protocolError(`${request.Type} answered with type ${JSON.stringify(type)}`, { packetType: request.Type, answerType: type }) };
  }
  if (!isRecord(raw.Data)) return { ok: false, error: protocolError(`${type} has no Data object`, { packetType: request.Type }) };
  return { ok: true, type, data: raw.Data };
}
