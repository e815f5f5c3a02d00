// One message catalogue: every display text the flows and the engine can show has a translation
// in every station locale (found in the source, so a new text without one fails here), receipt
// labels exist for every locale, and the station's controller shows the translated text.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localizedDisplays } from "../../agent/daemon/station-locale.ts";
import { DISPLAY_TEXTS, LOCALES, RECEIPT_LABELS, displayText } from "../../base/i18n/messages.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";

/** Texts the source sends to a point's display: `display(s, "…")`, `this.display(point, "…")` and the engine's refusals. */
async function displayedTexts(): Promise<Set<string>> {
  const texts = new Set<string>();
  const files = [...(await readdir("agent/core")).map((f) => join("agent/core", f)), "agent/engine.ts"].filter((f) => f.endsWith(".ts"));
  for (const f of files) {
    const src = await readFile(f, "utf8");
    for (const m of src.matchAll(/display\(\s*[\w.]+,\s*"([^"]+)"\s*\)/g)) texts.add(m[1]!);
    const refusal = /private refusal\([^)]*\)[^{]*\{([\s\S]*?)\n  \}/.exec(src)?.[1];
    if (refusal) for (const m of refusal.matchAll(/return "([^"]+)"/g)) texts.add(m[1]!);
  }
  return texts;
}

describe("the message catalogue", () => {
  it("translates every display text the source can show, into every locale", async () => {
    const texts = await displayedTexts();
    expect(texts.size).toBeGreaterThan(15);
    for (const t of ["Confirm in the Glase app", "Out of service", "Out of order - please contact staff", "Paid - thank you"]) expect(texts.has(t), t).toBe(true);
    const missing = [...texts].filter((t) => !DISPLAY_TEXTS[t]);
    expect(missing, "display texts without translations in base/i18n/messages.ts").toEqual([]);
    for (const [en, tr] of Object.entries(DISPLAY_TEXTS)) {
      expect(texts.has(en), `catalogue text nothing displays: ${en}`).toBe(true);
      for (const l of LOCALES) if (l !== "en") expect(tr[l].trim().length, `${en} in ${l}`).toBeGreaterThan(0);
    }
  });

  it("has receipt labels for every locale, none left in English where the language differs", () => {
    for (const l of LOCALES) expect(Object.keys(RECEIPT_LABELS[l]).sort()).toEqual(Object.keys(RECEIPT_LABELS.en).sort());
    for (const l of ["sv", "de", "fi", "nb", "da"] as const) expect(RECEIPT_LABELS[l].total).not.toBe(RECEIPT_LABELS.en.total);
  });

  it("keeps to the printer's code table (CP858) and a short display", () => {
    const cp858 = /^[\x20-\x7eÀ-ÿ]*$/u;
    for (const tr of Object.values(DISPLAY_TEXTS)) for (const t of Object.values(tr)) expect(t, t).toMatch(cp858);
    for (const labels of Object.values(RECEIPT_LABELS)) for (const t of Object.values(labels)) expect(t).toMatch(cp858);
  });

  it("the station's controller shows the station's language; English and unknown texts pass as written", async () => {
    const pump = new InMemoryDispenser();
    const de = localizedDisplays(pump, "de");
    await de.display(1, "Confirm in the Glase app");
    await de.display(1, "Out of service");
    await de.display(1, "Lyft pistolen – 45,00 kr");
    await localizedDisplays(pump, "en").display(2, "Out of service");
    expect(pump.commands.filter((c) => c.type === "display").map((c) => (c as { text: string }).text)).toEqual(["In der Glase-App bestätigen", "Außer Betrieb", "Lyft pistolen – 45,00 kr", "Out of service"]);
    expect(displayText("Out of service", "sv")).toBe("Ur drift");
  });
});
