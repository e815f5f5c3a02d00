// docs/alarms.md and agent/alarms/catalogue.ts list every alarm code the source can raise: the
// literal codes of alarm effects, parked reasons, engine alarms, the templated ones
// (glase-<operation>, device-<device>-unavailable, invoice-<kind>) expanded from their sources.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALARM_CATALOGUE, ALARM_FAMILIES, alarmAction } from "../../agent/alarms/catalogue.ts";
import { PTS_FAULTS } from "../../drivers/pts2/alarms.ts";

async function sources(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".ts")) {
      const file = join(e.parentPath, e.name);
      out.push({ file, text: await readFile(file, "utf8") });
    }
  }
  return out;
}

/** Every alarm code the agent's source can raise, and where each was found. */
export async function raisedCodes(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const add = (code: string, file: string) => found.has(code) || found.set(code, file);
  for (const { file, text } of await sources("agent")) {
    // Alarm effects and station alarms: `code: "kebab-case"` (zod's "custom" issues are not alarms).
    for (const m of text.matchAll(/\bcode: "([a-z][a-z0-9-]*)"/g)) if (m[1] !== "custom") add(m[1]!, file);
    // Parked flows raise their reason as the code; a recovered park without one raises "parked".
    for (const m of text.matchAll(/\bpark\(\s*\w+,\s*"([a-z][a-z0-9-]*)"/g)) add(m[1]!, file);
    for (const m of text.matchAll(/parkedReason \?\? "([a-z][a-z0-9-]*)"/g)) add(m[1]!, file);
    for (const m of text.matchAll(/raiseAlarm\([^,]+,\s*"([a-z][a-z0-9-]*)"/g)) add(m[1]!, file);
    for (const m of text.matchAll(/alarmFor\(\s*\w+,\s*"(\w+)"/g)) add(`glase-${m[1]}`, file);
    for (const m of text.matchAll(/code: "(glase-\w+)"/g)) add(m[1]!, file);
  }
  // The OCPP driver's `fault` events become device-fault-<code> alarms (agent/flows/dispenser-link.ts).
  for (const { file, text } of await sources("drivers/ocpp16")) for (const m of text.matchAll(/\bcode: "(OCPP_[A-Z_]+)"/g)) add(`device-fault-${m[1]}`, file);
  // The PTS-2 driver's faults, catalogued by the driver (test/drivers/pts2/review-units.test.ts
  // checks its source raises exactly these).
  for (const c of Object.keys(PTS_FAULTS)) add(`device-fault-${c}`, "drivers/pts2/alarms.ts");
  // Templated codes, expanded from the unions that feed them.
  const compose = await readFile("agent/daemon/compose.ts", "utf8");
  expect(compose).toContain("code: `device-${f.device}-unavailable`");
  const devices = /readonly device: ((?:"\w+"(?: \| )?)+);/.exec(await readFile("agent/daemon/devices.ts", "utf8"))![1]!;
  for (const d of devices.matchAll(/"(\w+)"/g)) add(`device-${d[1]}-unavailable`, "agent/daemon/devices.ts");
  expect(await readFile("agent/daemon/station.ts", "utf8")).toContain("code: `invoice-${alarm.kind}`");
  const kinds = /export type AlarmKind =([\s\S]*?);/.exec(await readFile("agent/invoice-service/settlement.ts", "utf8"))![1]!;
  for (const k of kinds.matchAll(/\| "([a-z-]+)"/g)) add(`invoice-${k[1]}`, "agent/invoice-service/settlement.ts");
  return found;
}

/** Templated codes the test expands itself (raisedCodes): every other template is a family. */
const EXPANDED = new Set(["device-", "invoice-", "glase-"]);

/** The prefix of every templated alarm code in the source (`code: \`device-fault-${…}\``), and where. */
async function templatedPrefixes(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const dir of ["agent", "drivers"]) {
    for (const { file, text } of await sources(dir)) for (const m of text.matchAll(/\bcode: `([a-z][a-z0-9-]*)\$\{/g)) found.has(m[1]!) || found.set(m[1]!, file);
  }
  return found;
}

describe("the alarm catalogue", () => {
  it("every family of templated codes is catalogued and documented, with the codes its drivers raise (review 11 #5)", async () => {
    const prefixes = await templatedPrefixes();
    expect(prefixes.has("device-fault-")).toBe(true);
    const families = [...prefixes].filter(([p]) => !EXPANDED.has(p));
    expect(families.filter(([p]) => !ALARM_FAMILIES.some((f) => f.prefix === p)).map(([p, file]) => `${p}<…> (${file})`), "families not in ALARM_FAMILIES").toEqual([]);
    const doc = await readFile("docs/alarms.md", "utf8");
    for (const f of ALARM_FAMILIES) {
      expect(doc).toContain(`| \`${f.pattern}\` | ${f.meaning} | ${f.action} |`);
      for (const [code, meaning] of Object.entries(f.known)) expect(doc).toContain(`| \`${code}\` | ${meaning} |`);
      expect(alarmAction(`${f.prefix}ANYTHING`)).toBe(f.action);
    }
    // The literal fault codes the drivers emit are all listed among the family's known codes.
    const emitted = new Set<string>();
    for (const { text } of await sources("drivers")) {
      for (const m of text.matchAll(/type: "fault",[^}]*?code: "([A-Z][A-Z0-9_]*)"/gs)) emitted.add(m[1]!);
      for (const m of text.matchAll(/alarm: \{\s*code: "([A-Z][A-Z0-9_]*)"/g)) emitted.add(m[1]!);
    }
    expect(emitted.size).toBeGreaterThanOrEqual(5);
    const known = ALARM_FAMILIES.find((f) => f.prefix === "device-fault-")!.known;
    expect([...emitted].filter((c) => !(c in known)), "fault codes drivers emit that the catalogue does not list").toEqual([]);
  });

  it("catalogue.ts and docs/alarms.md list every code the source raises, and nothing else", async () => {
    const raised = await raisedCodes();
    expect(raised.size).toBeGreaterThan(30);
    for (const known of ["settlement-parked", "refund-unknown", "period-unknown", "journal-failed", "glase-cancelInvoice", "device-printer-unavailable", "invoice-mismatch", "credentials-unusable"]) expect(raised.has(known), known).toBe(true);
    const catalogued = (code: string) => ALARM_CATALOGUE[code] !== undefined || (code.startsWith("device-fault-") && PTS_FAULTS[code.slice("device-fault-".length)] !== undefined);
    const missing = [...raised].filter(([code]) => !catalogued(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing, "codes raised but not in agent/alarms/catalogue.ts").toEqual([]);
    expect(Object.keys(ALARM_CATALOGUE).filter((c) => !raised.has(c)), "catalogued codes nothing raises").toEqual([]);
    const doc = await readFile("docs/alarms.md", "utf8");
    // A family's table of known device codes lists the part after the prefix, not alarm codes.
    const suffixes = new Set(ALARM_FAMILIES.flatMap((f) => Object.keys(f.known)));
    const documented = new Set([...doc.matchAll(/^\| `([a-zA-Z][a-zA-Z0-9_-]*)` \|/gm)].map((m) => m[1]!).filter((c) => !suffixes.has(c)));
    expect([...raised.keys()].filter((c) => !documented.has(c)), "codes docs/alarms.md does not list").toEqual([]);
    expect([...documented].filter((c) => !raised.has(c)), "codes docs/alarms.md lists that nothing raises").toEqual([]);
  });
});
