// One message catalogue: every display text the flows and the engine can show has a translation
// in every station locale (found in the source, so a new text without one fails here), receipt
// labels exist for every locale, and the station's controller shows the translated text.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localizedDisplays } from "../../agent/daemon/station-locale.ts";
import { DISPLAY_TEXTS, INVOICE_SLIP_LABELS, LOCALES, PERIOD_LABELS, RECEIPT_LABELS, displayText } from "../../base/i18n/messages.ts";
import { invoiceSlip, paidReceipt } from "../../agent/invoice-service/receipts.ts";
import type { InvoiceRecord } from "../../agent/invoice-service/store.ts";
import { InMemoryDispenser } from "../../drivers/dispenser/in-memory.ts";

/** Every .ts file of the agent and the drivers (a display text may be sent from anywhere). */
async function sourceFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ["agent", "drivers"]) {
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith(".ts")) out.push(join(e.parentPath, e.name));
  }
  return out;
}

/** Texts the source sends to a point's display: `display(s, "…")`, `this.display(point, "…")` and the engine's refusals. */
async function displayedTexts(): Promise<Set<string>> {
  const texts = new Set<string>();
  const files = await sourceFiles();
  for (const f of files) {
    const src = await readFile(f, "utf8");
    for (const m of src.matchAll(/display\(\s*[\w.]+,\s*"([^"]+)"\s*\)/g)) texts.add(m[1]!);
    const refusal = /(?:private )?refusal\([^)]*\)[^{]*\{([\s\S]*?)\n  \}/.exec(src)?.[1];
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

  it("prints no customer text outside the catalogue: receipts' and slips' own lines are catalogue labels (review 11 #6)", async () => {
    // Printed by a technician to check the printer, never handed to a customer.
    const technician = new Set(["Test print - not a receipt", "If you can read this, the printer works.", "glase-agent doctor"]);
    const literals: string[] = [];
    for (const f of await sourceFiles()) {
      const src = await readFile(f, "utf8");
      for (const m of src.matchAll(/extraLines: \[([^\]]*)\]/g)) for (const s of m[1]!.matchAll(/"([^"]+)"/g)) if (!technician.has(s[1]!) && !/^\{\w+\}$/.test(s[1]!)) literals.push(`${f}: ${s[1]}`);
      for (const m of src.matchAll(/\bdescription: "([^"]+)"/g)) if (m[1] !== "Glase payment" && !technician.has(m[1]!) && /printer|receipt|invoice-service|period/.test(f) && !f.includes("schemas")) literals.push(`${f}: ${m[1]}`);
    }
    expect(literals, "customer-facing printed literals not from base/i18n/messages.ts").toEqual([]);
  });

  it("the Invoice Service's slips are in the station's language (review 11 #6)", () => {
    const inv = { reference: "INV-1", amountMinor: 500, currency: "SEK", description: "Parking", issuedAt: 0, qr: "https://x", ersReference: "E1", purchaseTime: "2026-12-01T10:00:00Z" } as unknown as InvoiceRecord;
    for (const locale of LOCALES) {
      const t = INVOICE_SLIP_LABELS[locale];
      expect(invoiceSlip(inv, { stationName: "S", terminalId: "T", locale }).extraLines).toEqual([t.invoice.replace("{ref}", "INV-1"), t.scanToPay]);
      expect(paidReceipt(inv, { stationName: "S", terminalId: "T", locale }, 0).extraLines).toEqual([t.invoicePaid.replace("{ref}", "INV-1"), t.paidAt.replace("{time}", "2026-12-01T10:00:00Z")]);
      if (locale !== "en") for (const k of Object.keys(t) as Array<keyof typeof t>) expect(t[k], `${locale}.${k}`).not.toBe(INVOICE_SLIP_LABELS.en[k]);
    }
    const cp858 = /^[\x20-\x7eÀ-ÿ]*$/u;
    for (const tables of [INVOICE_SLIP_LABELS, PERIOD_LABELS]) for (const l of Object.values(tables)) for (const v of Object.values(l)) expect(v).toMatch(cp858);
    for (const l of LOCALES) expect(Object.keys(PERIOD_LABELS[l]).sort()).toEqual(Object.keys(PERIOD_LABELS.en).sort());
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
