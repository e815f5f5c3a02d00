// Every example in docs/pts2.md is checked: request examples are posted to the virtual PTS-2 and
// must be answered packet for packet; answer examples must decode with the driver's decoders
// (refusals as typed PtsPacketErrors); the YAML controller entry must validate. A doc that drifts
// from the code fails here.
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { decodeFuelGrades, decodePumpNozzles, decodeTransactionInformation } from "../../../drivers/pts2/decode-config.ts";
import { decodePumpStatus } from "../../../drivers/pts2/decode-status.ts";
import { PtsPacketError } from "../../../drivers/pts2/errors.ts";
import { parsePts2Config } from "../../../drivers/pts2/open.ts";
import { decodeResponse } from "../../../drivers/pts2/packets.ts";
import { closeAfterEach, startTwin } from "./helpers.ts";

const cleanup = closeAfterEach();
const doc = readFileSync(new URL("../../../docs/pts2.md", import.meta.url), "utf8");
const blocks = (lang: string) => [...doc.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
type Packet = { Id: number; Type?: string; Data?: Record<string, unknown>; Error?: boolean };
const REQUEST_OF: Record<string, string> = {
  PumpIdleStatus: "PumpGetStatus",
  PumpFillingStatus: "PumpGetStatus",
  PumpEndOfTransactionStatus: "PumpGetStatus",
  PumpOfflineStatus: "PumpGetStatus",
  PumpTransactionInformation: "PumpGetTransactionInformation",
  PumpAuthorizeConfirmation: "PumpAuthorize",
  FuelGradesConfiguration: "GetFuelGradesConfiguration",
  PumpNozzlesConfiguration: "GetPumpNozzlesConfiguration",
};
const examples = blocks("json").map((text) => JSON.parse(text) as { Protocol: string; Packets: Packet[] });
const isAnswer = (e: { Packets: Packet[] }) => e.Packets.some((p) => p.Error || (p.Type !== undefined && p.Type in REQUEST_OF));

it("the doc has request and answer examples, all jsonPTS", () => {
  expect(examples.length).toBeGreaterThanOrEqual(6);
  for (const e of examples) expect(e.Protocol).toBe("jsonPTS");
  expect(examples.filter(isAnswer).length).toBeGreaterThanOrEqual(4);
});

it("every answer example decodes with the driver's decoders", () => {
  for (const e of examples.filter(isAnswer)) {
    const sent = e.Packets.map((p) => ({ Id: p.Id, Type: p.Error ? p.Type! : REQUEST_OF[p.Type!]! }));
    const { results, unexpected } = decodeResponse(JSON.stringify(e), sent);
    expect(unexpected).toBe(0);
    for (const p of e.Packets) {
      const r = results.get(p.Id)!;
      if (p.Error) {
        expect(!r.ok && r.error).toBeInstanceOf(PtsPacketError);
        continue;
      }
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      if (r.type.startsWith("Pump") && r.type.endsWith("Status")) expect(decodePumpStatus(r.type, r.data).pump).toBe(p.Data!.Pump);
      if (r.type === "PumpTransactionInformation") expect(decodeTransactionInformation(r.data)).toMatchObject({ state: "EndOfTransaction", milli: 12_345, amountMinor: 23443 });
      if (r.type === "FuelGradesConfiguration") expect(decodeFuelGrades(r.data).map((g) => g.priceMinor)).toEqual([1899, 2049]);
      if (r.type === "PumpNozzlesConfiguration") expect(decodePumpNozzles(r.data).get(1)).toEqual([1, 2, 0, 0, 0, 0]);
    }
  }
});

it("every request example is answered by the virtual PTS-2, packet for packet", async () => {
  const twin = await startTwin();
  cleanup(() => twin.close());
  for (const e of examples.filter((x) => !isAnswer(x))) {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(twin.url, { method: "POST" }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end(JSON.stringify(e));
    });
    const { results, unexpected } = decodeResponse(text, e.Packets.map((p) => ({ Id: p.Id, Type: p.Type! })));
    expect(unexpected).toBe(0);
    for (const p of e.Packets) expect(results.get(p.Id)).toMatchObject({ ok: true });
  }
});

it("the YAML controller entry validates", () => {
  const [yaml] = blocks("yaml");
  const [entry] = parseYaml(yaml!) as unknown[];
  expect(parsePts2Config(entry)).toMatchObject({ id: "forecourt", driver: "pts2", points: [{ point: 1, pump: 1 }, { point: 2, pump: 2 }], upload: { port: 9300, path: "/jsonPTS" } });
});
