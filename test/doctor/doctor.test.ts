// glase-agent doctor: each time source read from its real output; and the whole check list run
// against real parts — the Glase simulator over loopback HTTP, the virtual controller and the
// virtual printer over TCP — once healthy (a test page comes out) and once with everything
// wrong, each failure saying what to fix.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { clockSanity, ntpStatus, skewFinding, type ClockProbes } from "../../agent/doctor/clock.ts";
import { runDoctor, type CheckResult } from "../../agent/doctor/checks.ts";
import { VirtualController } from "../../simulator/devices/virtual-controller.ts";
import { VirtualPrinter } from "../../simulator/devices/virtual-printer.ts";
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";

function probes(outputs: Record<string, string>, files: readonly string[] = []): ClockProbes {
  return { run: async (file) => outputs[file], exists: (p) => files.includes(p) };
}

describe("doctor's clock", () => {
  it("reads synchronisation from timedatectl, systemd-timesyncd, chrony or adjtimex, whichever answers first", async () => {
    expect(await ntpStatus(probes({ timedatectl: "yes\n" }))).toMatchObject({ status: "ok", detail: expect.stringContaining("NTPSynchronized=yes") });
    expect(await ntpStatus(probes({ timedatectl: "no\n" }))).toMatchObject({ status: "warn", fix: expect.stringContaining("timedatectl set-ntp true") });
    expect(await ntpStatus(probes({}, ["/run/systemd/timesync/synchronized"]))).toMatchObject({ status: "ok", detail: expect.stringContaining("timesyncd") });
    const chrony = "Reference ID    : C0A80101 (gw)\nStratum         : 3\nLeap status     : Normal\n";
    expect(await ntpStatus(probes({ chronyc: chrony }))).toMatchObject({ status: "ok", detail: expect.stringContaining("leap status Normal") });
    expect(await ntpStatus(probes({ chronyc: chrony.replace("Normal", "Not synchronised") }))).toMatchObject({ status: "warn" });
    // adjtimex --print: status 8193 = STA_PLL|STA_NANO (synchronised); 64 = STA_UNSYNC.
    expect(await ntpStatus(probes({ adjtimex: "         mode: 0\n       offset: 0\n       status: 8193\n" }))).toMatchObject({ status: "ok" });
    expect(await ntpStatus(probes({ adjtimex: "       status: 64\n" }))).toMatchObject({ status: "warn", detail: expect.stringContaining("STA_UNSYNC") });
    expect(await ntpStatus(probes({}))).toMatchObject({ status: "warn", detail: expect.stringContaining("cannot tell") });
  });

  it("fails a clock before 2024 or behind the journal, and one far from Glase's", () => {
    expect(clockSanity(Date.UTC(1970, 0, 2), undefined).status).toBe("fail");
    expect(clockSanity(Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 1, 0, 5))).toMatchObject({ status: "fail", detail: expect.stringContaining("300 s behind the journal") });
    expect(clockSanity(Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 1) - 1000).status).toBe("ok");
    const server = new Date(Date.UTC(2026, 2, 1, 12)).toUTCString();
    const at = (s: number) => Date.UTC(2026, 2, 1, 12) + s * 1000;
    expect(skewFinding(server, at(0), at(0.4))?.status).toBe("ok");
    expect(skewFinding(server, at(30), at(30))).toMatchObject({ status: "warn", detail: "30 s ahead of Glase's clock (HTTP Date)" });
    expect(skewFinding(server, at(-300), at(-300))).toMatchObject({ status: "fail", detail: "300 s behind Glase's clock (HTTP Date)" });
    expect(skewFinding(null, 0, 0)).toBeUndefined();
  });
});

let dir: string;
let sim: RunningGlaseSimulator;
let controller: VirtualController;
let printer: VirtualPrinter;
const GRADES = [{ id: "95", name: "Blyfri 95", unit: "L" as const, unitPriceMinor: 1899, vatRatePercent: 25 }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "glase-doctor-"));
  sim = await startGlaseSimulator({ port: 0 });
  controller = new VirtualController({ grades: GRADES, points: [{ id: 1, gradeIds: ["95"] }] });
  printer = await VirtualPrinter.listen({ receiptsDir: join(dir, "receipts") });
});
afterAll(async () => {
  await printer.close();
  await controller.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, parts: { endpoint: string; controllerPort: number; printerPort: number; passwordMode: number }): Promise<string> {
  const secret = join(dir, `${name}.password`);
  await writeFile(secret, "sim-pass\n", { mode: parts.passwordMode });
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    stringify({
      version: 2,
      station: { name: "Doctor Station", currency: "SEK" },
      glase: { endpoint: parts.endpoint, timeouts: { requestMs: 2000 } },
      points: [{ id: 1, kind: "fuel", grades: ["95"], maxPreliminaryMinor: 10_000, terminal: { id: "0460000300002010", passwordFile: secret } }],
      devices: { dispenser: { kind: "tcp", host: "127.0.0.1", port: parts.controllerPort }, printer: { kind: "tcp", host: "127.0.0.1", port: parts.printerPort, width: 58 } },
      stateDir: join(dir, `${name}-state`),
      sockets: { dir: join(dir, `${name}-run`) },
    }),
    { mode: 0o600 },
  );
  return file;
}

const byCheck = (results: readonly CheckResult[]) => new Map(results.map((r) => [r.check, r]));

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("glase-agent doctor, the agent stopped", () => {
  it("on a healthy site: Glase answers, the controller says HELLO, the printer prints its test page", async () => {
    const config = await writeConfig("good", { endpoint: sim.endpoint, controllerPort: await controller.listenTcp(0), printerPort: printer.port, passwordMode: 0o600 });
    // The page reaches the virtual printer over TCP after doctor's print resolves: wait for it.
    const page = printer.nextReceipt(15_000);
    const results = byCheck(await runDoctor({ configFile: config, printTest: true, probes: probes({ timedatectl: "yes" }), timeoutMs: 3_000 }));
    await page;
    expect(results.get("config")).toMatchObject({ status: "ok" });
    expect(results.get("secret points[0].terminal.passwordFile")).toMatchObject({ status: "ok" });
    expect(results.get("glase")).toMatchObject({ status: "ok", detail: expect.stringContaining("benchmarkingNop answered") });
    expect(results.get("clock vs glase")).toMatchObject({ status: "ok" });
    expect(results.get("time sync")).toMatchObject({ status: "ok" });
    expect(results.get("controller")).toMatchObject({ status: "ok", detail: expect.stringMatching(/^127\.0\.0\.1:\d+: protocol .*, 1 points$/) });
    expect(results.get("test print")).toMatchObject({ status: "ok" });
    const files = await readdir(join(dir, "receipts"));
    expect(await Promise.all(files.map((f) => readFile(join(dir, "receipts", f), "utf8")))).toEqual(expect.arrayContaining([expect.stringContaining("TEST PRINT")]));
    expect([...results.values()].filter((r) => r.status === "fail")).toEqual([]);
  });

  it("on a broken site: every problem fails and says what to do", async () => {
    const dead = await closedPort();
    const config = await writeConfig("bad", { endpoint: `http://127.0.0.1:${dead}/soap`, controllerPort: dead, printerPort: dead, passwordMode: 0o644 });
    const results = byCheck(await runDoctor({ configFile: config, printTest: false, probes: probes({ timedatectl: "no" }), timeoutMs: 1_000 }));
    expect(results.get("secret points[0].terminal.passwordFile")).toMatchObject({ status: "fail", detail: expect.stringContaining("mode 0644"), fix: expect.stringContaining("chmod 600") });
    expect(results.get("glase")).toMatchObject({ status: "fail", fix: expect.stringContaining("allow HTTPS out to 127.0.0.1") });
    expect(results.get("controller")).toMatchObject({ status: "fail", fix: expect.stringContaining("cable") });
    expect(results.get("printer")).toMatchObject({ status: "fail", detail: "tcp: offline" });
    expect(results.get("time sync")).toMatchObject({ status: "warn" });
    expect(results.get("agent")).toMatchObject({ status: "warn", fix: expect.stringContaining("systemctl start glase-agent") });
  });

  it("a config that does not load is the one failure it reports", async () => {
    const file = join(dir, "broken.yaml");
    await writeFile(file, "version: 2\nstation: { name: X }\n");
    const results = await runDoctor({ configFile: file, printTest: false, probes: probes({}) });
    expect(results).toEqual([{ check: "config", status: "fail", detail: expect.stringContaining("station.currency"), fix: expect.stringContaining("glase-agent config check") }]);
  });
});
