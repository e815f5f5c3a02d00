// Printer outputs on disk stay bounded: the file sink rotates by size (path, path.1 … path.keep,
// oldest dropped, every receipt whole in one file), and the virtual printer's receipts folder
// keeps the newest receipts within its count and size. And the kept-receipt history (the journal,
// `ctl receipts`) honours its retention: the engine's compaction drops receipts of flows finished
// before it and keeps the rest.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPaymentEngine } from "../../../agent/engine.ts";
import { openJournal } from "../../../agent/journal/journal.ts";
import { createLogger } from "../../../agent/log.ts";
import { createReceiptPrinter } from "../../../drivers/printer/printer-factory.ts";
import { rotatedFiles } from "../../../base/io/rotation.ts";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../../agent/config/load.ts";
import { systemScheduler } from "../../../drivers/dispenser/line-driver.ts";
import { VirtualPrinter } from "../../../simulator/devices/virtual-printer.ts";
import { FAST_SETTINGS, stationPoints, until } from "../../flows/harness/station.ts";
import { FUEL_RECEIPT } from "./sample-receipt.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "printer-rotation-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("printer outputs rotate", () => {
  it("on by default with bounds: a file or virtual printer configured without `rotate` gets one; documented (review 11 #8)", async () => {
    const base = parseYaml(await readFile("config/simulated-station.yaml", "utf8")) as { devices: Record<string, unknown> };
    const printerOf = (printer: unknown) => parseConfig({ ...base, devices: { ...base.devices, printer } }).config.devices.printer;
    expect(printerOf({ kind: "file", path: "/var/spool/glase/receipts.prn" })).toMatchObject({ rotate: { maxBytes: 10 * 1024 * 1024, keep: 5 } });
    expect(printerOf({ kind: "virtual", dir: ".glase/receipts" })).toMatchObject({ rotate: { maxBytes: 50 * 1024 * 1024, keep: 2000 } });
    for (const file of ["config/simulated-station.yaml", "config/ocpp-station.yaml"]) {
      expect(parseConfig(parseYaml(await readFile(file, "utf8"))).config.devices.printer, file).toMatchObject({ rotate: { keep: expect.any(Number) } });
    }
    const doc = await readFile("docs/technician.md", "utf8");
    expect(doc).toContain("| `file` | `{ maxBytes: 10485760, keep: 5 }` |");
    expect(doc).toContain("| `virtual` | `{ maxBytes: 52428800, keep: 2000 }` |");
  });

  it("file sink: past maxBytes the spool moves to .1 (.1 to .2, …); `keep` old files, each receipt whole", async () => {
    const path = join(dir, "spool.escpos");
    const printer = createReceiptPrinter({ kind: "file", path, width: 58, rotate: { maxBytes: 4096, keep: 2 } });
    const refs = Array.from({ length: 40 }, (_, i) => `R${String(i).padStart(4, "0")}`);
    for (const ersReference of refs) await printer.print({ ...FUEL_RECEIPT, ersReference });
    await printer.close();
    const rotated = await rotatedFiles(path);
    expect(rotated).toEqual([`${path}.1`, `${path}.2`]);
    const files = [path, ...rotated];
    for (const f of files) expect((await stat(f)).size).toBeLessThanOrEqual(4096);
    // Newest in the spool, older in .1, oldest kept in .2; what was older still is gone.
    const inFile = await Promise.all(files.map(async (f) => {
      const bytes = await readFile(f, "latin1");
      return refs.filter((r) => bytes.includes(r));
    }));
    const flat = inFile.reverse().flat();
    expect(flat).toEqual(refs.slice(refs.length - flat.length));
    expect(flat.length).toBeLessThan(refs.length);
    expect(inFile.at(-1)).toContain("R0039");
  });

  it("virtual printer: the receipts folder keeps the newest `keep` receipts", async () => {
    const receiptsDir = join(dir, "receipts");
    const virtual = await VirtualPrinter.listen({ receiptsDir, rotate: { maxBytes: 1024 * 1024, keep: 3 } });
    const printer = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: virtual.port, width: 58 });
    try {
      for (let i = 0; i < 5; i++) await printer.print({ ...FUEL_RECEIPT, ersReference: `V${i}` });
      await until("5 receipts", () => virtual.receipts.length === 5);
      const names = (await readdir(receiptsDir)).sort();
      expect(names).toHaveLength(3);
      const texts = await Promise.all(names.map((n) => readFile(join(receiptsDir, n), "utf8")));
      expect(texts.map((t) => /Ref +(V\d)/.exec(t)?.[1])).toEqual(["V2", "V3", "V4"]);
    } finally {
      await printer.close();
      await virtual.close();
    }
  });

  it("virtual printer: and within `maxBytes` in all", async () => {
    const receiptsDir = join(dir, "receipts");
    const virtual = await VirtualPrinter.listen({ receiptsDir, rotate: { maxBytes: 4096, keep: 1000 } });
    const printer = createReceiptPrinter({ kind: "tcp", host: "127.0.0.1", port: virtual.port, width: 58 });
    try {
      for (let i = 0; i < 12; i++) await printer.print({ ...FUEL_RECEIPT, ersReference: `W${i}` });
      await until("12 receipts", () => virtual.receipts.length === 12);
      const names = await readdir(receiptsDir);
      const sizes = await Promise.all(names.map(async (n) => (await stat(join(receiptsDir, n))).size));
      expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4096);
      expect(names.length).toBeGreaterThan(1);
      expect(names.length).toBeLessThan(12);
    } finally {
      await printer.close();
      await virtual.close();
    }
  });
});

describe("kept-receipt history", () => {
  it("the engine's compaction drops receipts of flows finished before the retention, keeps newer ones", async () => {
    const journal = await openJournal({ path: join(dir, "journal.sqlite") });
    const day = 86_400_000;
    const now = Date.now();
    const flow = (flowId: string, at: number) => ({ flowId, kind: "pos", point: 9, terminalId: "T", at, input: { type: "start" }, state: { kind: "pos", phase: "finished", flowId }, stateName: "finished", finished: true, parked: false, effects: [] });
    for (const [flowId, ageDays] of [["old", 31], ["edge", 29], ["new", 1]] as const) {
      await journal.append(flow(flowId, now - ageDays * day));
      await journal.saveReceipt({ flowId, ersReference: `E-${flowId}`, content: { ...FUEL_RECEIPT, ersReference: `E-${flowId}` }, printed: true, at: now - ageDays * day });
    }
    const engine = createPaymentEngine({
      journal,
      glase: {} as never,
      points: stationPoints().filter((p) => p.kind === "kiosk"),
      settings: { ...FAST_SETTINGS, retentionMs: 30 * day },
      scheduler: systemScheduler,
      logger: createLogger("test.retention"),
    });
    try {
      await engine.start();
      const kept = await until("compaction", async () => {
        const r = await engine.receipts();
        return r.length === 2 ? r : undefined;
      });
      expect(kept.map((r) => r.ersReference).sort()).toEqual(["E-edge", "E-new"]);
    } finally {
      await engine.close();
      await journal.close();
    }
  });
});
