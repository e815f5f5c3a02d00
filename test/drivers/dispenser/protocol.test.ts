import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checksumHex } from "../../../drivers/dispenser/checksum.ts";
import { escapeText, unescapeText } from "../../../drivers/dispenser/protocol-fields.ts";
import { decodeReply, replyFields } from "../../../drivers/dispenser/protocol-replies.ts";
import { encodeErr, encodeNotification, encodeOk, encodeRequest, frameLine, parseLine, type Request } from "../../../drivers/dispenser/protocol.ts";
import type { PointEvent } from "../../../drivers/dispenser/point-model.ts";

describe("dispenser protocol codec", () => {
  it("computes the documented checksum", () => {
    expect(checksumHex("T17 OK")).toBe("76");
    expect(frameLine("T17 AUTH 2 4500 SEK tx-abc 95")).toBe("T17 AUTH 2 4500 SEK tx-abc 95*79\r\n");
  });

  it("parses every example line of docs/dispenser-protocol.md", () => {
    const doc = readFileSync(new URL("../../../docs/dispenser-protocol.md", import.meta.url), "utf8");
    const lines = [...doc.matchAll(/^(?:[→←] )?((?:T\d+ |\*[A-Z])[^\n`|]*\*[0-9A-F]{2})$/gm)].map((m) => m[1]!);
    expect(lines.length).toBeGreaterThan(25);
    for (const line of lines) expect(parseLine(line), line).toMatchObject({ ok: true });
  });

  it("round-trips every request", () => {
    const requests: Request[] = [
      { verb: "HELLO", version: "1.0" },
      { verb: "STATUS" },
      { verb: "PRICES" },
      { verb: "AUTH", point: 3, limitMinor: 50000, currency: "EUR", transactionId: "flow:42.a-b", gradeId: "AC22" },
      { verb: "AUTH", point: 1, limitMinor: 1, currency: "SEK", transactionId: "x" },
      { verb: "STOP", point: 999 },
      { verb: "DISPLAY", point: 1, text: "Välkommen * 100% , -" },
      { verb: "DISPLAY", point: 1, text: "" },
      { verb: "DISPLAY", point: 1, text: "-" },
      { verb: "SALE", transactionId: "tx-1" },
    ];
    for (const [i, request] of requests.entries()) {
      expect(parseLine(encodeRequest(i, request))).toEqual({ ok: true, value: { kind: "request", tag: i, request } });
    }
  });

  it("round-trips every notification and reply", () => {
    const events: PointEvent[] = [
      { type: "call", point: 1 },
      { type: "call", point: 2, presetMinor: 20000, gradeId: "95" },
      { type: "nozzle", point: 1, up: true, gradeId: "D" },
      { type: "nozzle", point: 1, up: false },
      { type: "progress", point: 1, transactionId: "t", milli: 12345, amountMinor: 23456 },
      { type: "end", point: 1, transactionId: "t", gradeId: "95", milli: 0, amountMinor: 0, unitPriceMinor: 1899, reason: "stall" },
      { type: "fault", point: null, code: "POWER", message: "mains lost, running on UPS" },
      { type: "fault", point: 4, code: "PULSER", message: "", transactionId: "t" },
    ];
    for (const event of events) expect(parseLine(encodeNotification(event))).toEqual({ ok: true, value: { kind: "notification", event } });
    const sale = { transactionId: "t", point: 1, state: "delivering" as const, milli: 10, amountMinor: 19, limitMinor: 100 };
    const parsed = parseLine(encodeOk(9, replyFields({ verb: "SALE", record: sale })));
    expect(parsed.ok && parsed.value.kind === "reply" && parsed.value.reply.ok && decodeReply("SALE", parsed.value.reply.fields)).toEqual({ ok: true, value: { verb: "SALE", record: sale } });
    expect(parseLine(encodeErr(5, "BUSY", "point 1 busy"))).toEqual({ ok: true, value: { kind: "reply", tag: 5, reply: { ok: false, code: "BUSY", text: "point 1 busy" } } });
  });

  it("names what is wrong with a bad line, and never throws", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["", "framing", /empty/],
      ["T1 STATUS", "framing", /checksum/],
      ["T1 STATUS*52", "checksum", /expected 51/],
      ["T1 STATUS*6g", "framing", /hex/],
      ["T1 STATUS\u0007*60", "framing", /printable/],
      [`${"x".repeat(600)}*00`, "framing", /longer/],
      [frameLine("T1 FLY 2").trim(), "syntax", /unknown command/],
      [frameLine("T1 AUTH 0 100 SEK t").trim(), "syntax", /point/],
      [frameLine("T1 AUTH 1 1.5 SEK t").trim(), "syntax", /limit/],
      [frameLine("T1 AUTH 1 100 sek t").trim(), "syntax", /currency/],
      [frameLine("T1 AUTH 1 100 SEK -").trim(), "syntax", /transaction id/],
      [frameLine("T1  STATUS").trim(), "syntax", /single spaces/],
      [frameLine("X1 STATUS").trim(), "syntax", /expected a tag/],
      [frameLine("*END 1 t 95 1 1 1 exploded").trim(), "syntax", /END needs/],
      [frameLine("T1 DISPLAY 1 100%").trim(), "syntax", /escaped text/],
    ];
    for (const [line, kind, message] of cases) {
      const r = parseLine(line);
      expect(r.ok, line).toBe(false);
      if (!r.ok) {
        expect(r.error.kind, line).toBe(kind);
        expect(r.error.message, line).toMatch(message);
      }
    }
    const withTag = parseLine(frameLine("T42 AUTH x"));
    expect(!withTag.ok && withTag.error.tag).toBe(42);
  });

  it("escapes text so it stays one field", () => {
    for (const t of ["", "-", "a b", "100%", "*,", "Blyfri 95 – 18,99 kr/l", "日本"]) {
      const e = escapeText(t);
      expect(e).toMatch(/^[!-~]+$/);
      expect(e).not.toMatch(/[*, ]/);
      expect(unescapeText(e)).toBe(t);
    }
    expect(unescapeText("%ff")).toBeUndefined(); // lower-case hex
    expect(unescapeText("%C3")).toBeUndefined(); // truncated UTF-8
  });
});
