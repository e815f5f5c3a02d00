// Crash-test child: the real engine on a real journal file, GlaseClient → the simulator in the
// parent test process, the real line driver over TCP → the parent's virtual controller. Reports on
// stdout, one line each: READY, RECOVERED <json ids>, FLOW <id>, FINISHED <id> <outcome>,
// PARKED <id> <reason>, BOUNDARY <n> <label>, RELEASED <id> <amount> (every kiosk product release,
// written synchronously before the release resolves, so the parent counts real releases across
// restarts), REPORTED <id> <SalesCount> <SalesTotal minor>. With KILL_AT=n it SIGKILLs itself at
// journal write boundary n. Commands on stdin: "pos <point> <amount>" starts a kiosk payment,
// "refund <point> <ersReference> <amount>" a refund, "recon <terminalId> <reportId>" a terminal
// reconciliation.
// DEVICE=ocpp (the OCPP driver listening on OCPP_PORT, charger CP-1 connector 1 → point 1) or
// DEVICE=pts (the PTS-2 driver polling PTS_URL, pump 1 → point 1) instead of the line board, with
// the drivers' SQLite store at DRIVER_STORE whose writes are kill boundaries too ("driver:…").
import { createInterface } from "node:readline";
import { openChildDevice } from "./child-devices.ts";
import type { DispenserController } from "../../../drivers/dispenser/contract.ts";
import { configureLogging } from "../../../agent/log.ts";
import { openDispenserController } from "../../../drivers/dispenser/open.ts";
import { reportMinor, reportRows } from "../../../agent/core/report-rows.ts";
import { openStation } from "./station.ts";

const env = process.env;
const killAt = env.KILL_AT ? Number(env.KILL_AT) : undefined;
const out = (line: string) => process.stdout.write(`${line}\n`);
configureLogging({ level: (env.CHILD_LOG_LEVEL as "warn" | undefined) ?? "error", sink: { write: (l) => process.stderr.write(l) } });

let boundaries = 0;
const onWriteBoundary = (label: string): void => {
  boundaries++;
  if (env.TRACE_BOUNDARIES) out(`BOUNDARY ${boundaries} ${label}`);
  if (boundaries === killAt) process.kill(process.pid, "SIGKILL");
};

const device = env.DEVICE === "ocpp" || env.DEVICE === "pts" ? await openChildDevice(env.DEVICE, env, onWriteBoundary) : undefined;
const dispenser: DispenserController = device?.dispenser ?? (await openDispenserController({ kind: "tcp", host: "127.0.0.1", port: Number(env.CTRL_PORT) }));
const station = await openStation({
  ...(device ? { points: device.points } : {}),
  journalPath: env.JOURNAL_PATH!,
  endpoint: env.GLASE_ENDPOINT!,
  dispenser,
  onWriteBoundary,
  release: async (_point, amountMinor, flowId) => void out(`RELEASED ${flowId} ${amountMinor}`),
  settings: env.SETTINGS ? JSON.parse(env.SETTINGS) : {},
  ...(env.POINTS ? { pointIds: env.POINTS.split(",").map(Number) } : {}),
});

const seen = new Set<string>();
station.engine.events$.subscribe((e) => {
  if (e.type !== "flow") return;
  const f = e.flow;
  // As the daemon does (compose.ts): a finished flow's transaction is released by the driver.
  if (f.finished) void dispenser.settled?.(f.flowId).catch(() => undefined);
  if (!seen.has(f.flowId)) {
    seen.add(f.flowId);
    out(`FLOW ${f.flowId}`);
  }
  if (f.finished && f.kind === "reconciliation" && f.outcome === "reported") void printReport(f.flowId).then(() => out(`FINISHED ${f.flowId} ${f.outcome}`));
  else if (f.finished) out(`FINISHED ${f.flowId} ${f.outcome}`);
  else if (f.parked) out(`PARKED ${f.flowId} ${f.state}`);
});

/** The report's figures of a finished reconciliation (also one recovered from a killed child). */
async function printReport(flowId: string): Promise<void> {
  const state = (await station.journal.flow(flowId))?.state as { report?: string } | undefined;
  const row = reportRows(state?.report ?? "")[0];
  out(`REPORTED ${flowId} ${row?.SalesCount ?? "?"} ${reportMinor(row?.SalesTotal) ?? "?"}`);
}

const report = await station.engine.start();
for (const id of report.flowIds) seen.add(id);
out(`RECOVERED ${JSON.stringify(report.flowIds)}`);
// Flows that recovery parked at once report themselves here (no transition follows), and flows
// the previous run finished just before it died are reported from the journal.
for (const f of station.engine.snapshot().flows) if (f.parked) out(`PARKED ${f.flowId} ${f.state}`);
for (const f of await station.journal.flows({ limit: 20 })) {
  const outcome = (f.state as { outcome?: string }).outcome;
  if (f.finished && f.kind === "reconciliation" && outcome === "reported") await printReport(f.flowId);
  if (f.finished) out(`FINISHED ${f.flowId} ${outcome}`);
}
out("READY");

createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, a, b, ...rest] = line.trim().split(/\s+/);
  if (cmd === "pos") {
    station.engine.startPosPayment(Number(a), Number(b)).then(
      (id) => out(`STARTED ${id}`),
      (err: unknown) => out(`ERROR ${(err as Error).message}`),
    );
  } else if (cmd === "refund") {
    station.engine.startRefund({ point: Number(a), ersReference: b!, amountMinor: Number(rest[0]) }).then(
      (r) => out(`REFUNDED ${r.flowId} ${r.refundErsReference}`),
      (err: unknown) => out(`ERROR ${(err as Error).message}`),
    );
  } else if (cmd === "recon") {
    station.engine.startReconciliation({ scope: "terminal", terminal: a!, reportId: b! }).then(
      () => undefined, // REPORTED is printed when the flow finishes (in whichever child)
      (err: unknown) => out(`ERROR ${(err as Error).message}`),
    );
  } else if (cmd === "exit") {
    void station.close().then(() => dispenser.close()).then(() => process.exit(0));
  }
});
