// docs/alarms.md and agent/alarms/catalogue.ts list every alarm code the source can raise: the
// literal codes of alarm effects, parked reasons, engine alarms, the templated ones
// (glase-<operation>, device-<device>-unavailable, invoice-<kind>) expanded from their sources.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALARM_CATALOGUE } from "../../agent/alarms/catalogue.ts";

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

describe("the alarm catalogue", () => {
  it("catalogue.ts and docs/alarms.md list every code the source raises, and nothing else", async () => {
    const raised = await raisedCodes();
    expect(raised.size).toBeGreaterThan(30);
    for (const known of ["settlement-parked", "refund-unknown", "period-unknown", "journal-failed", "glase-cancelInvoice", "device-printer-unavailable", "invoice-mismatch", "credentials-unusable"]) expect(raised.has(known), known).toBe(true);
    const missing = [...raised].filter(([code]) => !ALARM_CATALOGUE[code]).map(([code, file]) => `${code} (${file})`);
    expect(missing, "codes raised but not in agent/alarms/catalogue.ts").toEqual([]);
    expect(Object.keys(ALARM_CATALOGUE).filter((c) => !raised.has(c)), "catalogued codes nothing raises").toEqual([]);
    const doc = await readFile("docs/alarms.md", "utf8");
    const documented = new Set([...doc.matchAll(/^\| `([a-zA-Z][a-zA-Z0-9_-]*)` \|/gm)].map((m) => m[1]!));
    expect([...raised.keys()].filter((c) => !documented.has(c)), "codes docs/alarms.md does not list").toEqual([]);
    expect([...documented].filter((c) => !raised.has(c)), "codes docs/alarms.md lists that nothing raises").toEqual([]);
  });
});
