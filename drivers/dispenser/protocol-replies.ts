// Typed OK-reply payloads per command (docs/dispenser-protocol.md §5). The reply line alone does
// not say which command it answers — its tag does — so the driver decodes the fields with the
// verb of the request it sent. Encoders are used by the virtual controller; decoders by the driver.
import type { ControllerInfo, Grade, PointStatus, SaleRecord } from "../../contracts/dispenser.ts";
import {
  ABSENT,
  escapeText,
  readFirmware,
  readGrade,
  readOptional,
  readPoint,
  readReason,
  readState,
  readTxid,
  readUint,
  readUnit,
  readVersion,
  unescapeText,
} from "./protocol-fields.ts";
import type { Parsed, Verb } from "./protocol.ts";

export type Reply =
  | { readonly verb: "HELLO"; readonly info: ControllerInfo }
  | { readonly verb: "STATUS"; readonly points: readonly PointStatus[] }
  | { readonly verb: "PRICES"; readonly grades: readonly Grade[] }
  | { readonly verb: "AUTH" | "STOP" | "DISPLAY" }
  | { readonly verb: "SALE"; readonly record: SaleRecord };

const bad = <T>(message: string): Parsed<T> => ({ ok: false, error: { kind: "syntax", message } });
const good = <T>(value: T): Parsed<T> => ({ ok: true, value });
const opt = (v: string | number | undefined): string => (v === undefined ? ABSENT : String(v));

/** The fields of `Tn OK …` for a reply. */
export function replyFields(r: Reply): string[] {
  switch (r.verb) {
    case "HELLO":
      return [r.info.protocolVersion, r.info.firmware, String(r.info.points)];
    case "STATUS":
      return r.points.map((p) =>
        [p.point, p.state, p.nozzleUp ? "U" : "D", opt(p.transactionId), opt(p.milli), opt(p.amountMinor)].join(","),
      );
    case "PRICES":
      return r.grades.map((g) => [g.id, g.unit, g.unitPriceMinor, g.vatRatePercent, escapeText(g.name)].join(","));
    case "AUTH":
    case "STOP":
    case "DISPLAY":
      return [];
    case "SALE": {
      const s = r.record;
      return [s.transactionId, String(s.point), s.state, opt(s.gradeId), String(s.milli), String(s.amountMinor), opt(s.unitPriceMinor), String(s.limitMinor), opt(s.reason)];
    }
  }
}

export function decodeReply(verb: Verb, f: readonly string[]): Parsed<Reply> {
  switch (verb) {
    case "HELLO": {
      const version = readVersion(f[0]);
      const firmware = readFirmware(f[1]);
      const points = readUint(f[2]);
      if (f.length !== 3 || !version || firmware === undefined || points === undefined) return bad("HELLO reply needs <version> <firmware> <points>");
      return good({ verb, info: { protocolVersion: f[0]!, firmware, points } });
    }
    case "STATUS": {
      const points: PointStatus[] = [];
      for (const item of f) {
        const p = decodeStatusItem(item);
        if (!p) return bad(`STATUS item ${JSON.stringify(item.slice(0, 40))} is not <point>,<state>,<U|D>,<txid|->,<milli|->,<amount|->`);
        points.push(p);
      }
      return good({ verb, points });
    }
    case "PRICES": {
      const grades: Grade[] = [];
      for (const item of f) {
        const g = decodeGrade(item);
        if (!g) return bad(`PRICES item ${JSON.stringify(item.slice(0, 40))} is not <grade>,<L|kWh>,<unit price>,<vat %>,<name>`);
        grades.push(g);
      }
      return good({ verb, grades });
    }
    case "AUTH":
    case "STOP":
    case "DISPLAY":
      return f.length === 0 ? good({ verb }) : bad(`${verb} reply takes no fields`);
    case "SALE": {
      const record = decodeSale(f);
      return record ? good({ verb, record }) : bad("SALE reply needs <txid> <point> <state> <grade|-> <milli> <amount> <price|-> <limit> <reason|->");
    }
  }
}

function decodeStatusItem(item: string): PointStatus | undefined {
  const p = item.split(",");
  if (p.length !== 6) return undefined;
  const point = readPoint(p[0]);
  const state = readState(p[1]);
  const tx = readOptional(p[3], readTxid);
  const milli = readOptional(p[4], readUint);
  const amountMinor = readOptional(p[5], readUint);
  if (point === undefined || state === undefined || (p[2] !== "U" && p[2] !== "D") || tx === null || milli === null || amountMinor === null) {
    return undefined;
  }
  return {
    point,
    state,
    nozzleUp: p[2] === "U",
    ...(tx !== undefined ? { transactionId: tx } : {}),
    ...(milli !== undefined ? { milli } : {}),
    ...(amountMinor !== undefined ? { amountMinor } : {}),
  };
}

function decodeGrade(item: string): Grade | undefined {
  const p = item.split(",");
  if (p.length !== 5) return undefined;
  const id = readGrade(p[0]);
  const unit = readUnit(p[1]);
  const unitPriceMinor = readUint(p[2]);
  const vatRatePercent = readUint(p[3]);
  const name = unescapeText(p[4]);
  if (id === undefined || unit === undefined || unitPriceMinor === undefined || vatRatePercent === undefined || name === undefined) return undefined;
  return { id, name, unit, unitPriceMinor, vatRatePercent };
}

function decodeSale(f: readonly string[]): SaleRecord | undefined {
  if (f.length !== 9) return undefined;
  const transactionId = readTxid(f[0]);
  const point = readPoint(f[1]);
  const state = f[2] === "authorized" || f[2] === "delivering" || f[2] === "finished" ? f[2] : undefined;
  const gradeId = readOptional(f[3], readGrade);
  const milli = readUint(f[4]);
  const amountMinor = readUint(f[5]);
  const unitPriceMinor = readOptional(f[6], readUint);
  const limitMinor = readUint(f[7]);
  const reason = readOptional(f[8], readReason);
  if (
    transactionId === undefined ||
    point === undefined ||
    state === undefined ||
    gradeId === null ||
    milli === undefined ||
    amountMinor === undefined ||
    unitPriceMinor === null ||
    limitMinor === undefined ||
    reason === null
  ) {
    return undefined;
  }
  return {
    transactionId,
    point,
    state,
    ...(gradeId !== undefined ? { gradeId } : {}),
    milli,
    amountMinor,
    ...(unitPriceMinor !== undefined ? { unitPriceMinor } : {}),
    limitMinor,
    ...(reason !== undefined ? { reason } : {}),
  };
}
