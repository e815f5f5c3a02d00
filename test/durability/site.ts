// A small real site for the durability tests: the Glase simulator and the virtual controller run
// in the test process (they survive whatever happens to the agent); the agent is the real
// `glase-agent` executable with a site config. Point 1 has its terminal in the config, points 2
// and 3 get theirs from `glase-agent register` (stored in the state directory).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { ControlClient } from "../../agent/daemon/sockets/client.ts";
import { GlaseClient } from "../../agent/glase/client.ts";
import type { TerminalCredentials } from "../../agent/glase/types.ts";
import { VirtualController } from "../../simulator/devices/virtual-controller.ts";
import { startGlaseSimulator, type RunningGlaseSimulator } from "../../simulator/glase/index.ts";
import { AgentProcess, eventually } from "../daemon/agent-process.ts";

export const SHOP = { resellerId: "dur_shop", userId: "9900", password: "dur-shop-pass" };
export const POINT1 = { id: "d0000000000000000000000000000001", password: "dur-point-1-pass" };
export const BIN = resolve("bin/glase-agent.js");

export interface SiteOptions {
  /** devices.printer of the config (default none). */
  readonly printer?: Record<string, unknown>;
  /** glase.reseller of the config (default: the shop's id and inline password). */
  readonly reseller?: Record<string, unknown>;
}

export class Site {
  private constructor(
    readonly dir: string,
    readonly sim: RunningGlaseSimulator,
    readonly controller: VirtualController,
    private readonly controllerPort: number,
  ) {}

  static async open(): Promise<Site> {
    const dir = await mkdtemp(join(tmpdir(), "glase-durable-"));
    const sim = await startGlaseSimulator({
      port: 0,
      provision: {
        shops: [{ ...SHOP, currency: "SEK", allowRefunds: true, receiverAllowsRefunds: true, blocked: false }],
        terminals: [{ id: POINT1.id, password: POINT1.password, name: "pump 1", cashRegister: true, blocked: false }],
        tokens: [],
        settings: {},
        issuers: [],
      },
      settings: { autoCustomer: { enabled: true, confirmAfterMs: 200 } },
    });
    const controller = new VirtualController({
      grades: [{ id: "95", name: "Blyfri 95", unit: "L", unitPriceMinor: 1899, vatRatePercent: 25 }],
      points: [1, 2, 3].map((id) => ({ id, gradeIds: ["95"] })),
      flowRateMilliPerSec: 5_000,
    });
    return new Site(dir, sim, controller, await controller.listenTcp(0));
  }

  async close(): Promise<void> {
    await this.controller.close();
    await this.sim.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Writes a site config whose state lives in `stateDir`; returns its path. */
  async config(name: string, stateDir: string, opts: SiteOptions = {}): Promise<string> {
    const file = join(this.dir, `${name}.yaml`);
    await writeFile(
      file,
      stringify({
        version: 2,
        station: { name: "Durable Station", currency: "SEK" },
        glase: { endpoint: this.sim.endpoint, clientId: "durable", timeouts: { requestMs: 3000, pollIntervalMs: 200 }, reseller: opts.reseller ?? { id: SHOP.resellerId, password: SHOP.password } },
        points: [
          { id: 1, kind: "fuel", name: "Pump 1", grades: ["95"], maxPreliminaryMinor: 50_000, nozzleTimeoutS: 60, terminal: POINT1 },
          { id: 2, kind: "fuel", name: "Pump 2", grades: ["95"], maxPreliminaryMinor: 50_000, nozzleTimeoutS: 60 },
          { id: 3, kind: "fuel", name: "Pump 3", grades: ["95"], maxPreliminaryMinor: 50_000, nozzleTimeoutS: 60 },
        ],
        devices: { dispenser: { kind: "tcp", host: "127.0.0.1", port: this.controllerPort }, ...(opts.printer ? { printer: opts.printer } : {}) },
        stateDir,
        sockets: { dir: join(stateDir, "..", `${name}-run`) },
        flows: { reservationWaitS: 60, deliveryStallS: 20, retryBaseMs: 200, retryMaxMs: 2000, drainTimeoutS: 30 },
      }),
    );
    return file;
  }

  socketDir(name: string, stateDir: string): string {
    return join(stateDir, "..", `${name}-run`);
  }

  /** Runs `glase-agent …` (agent stopped: no socket found) and resolves with its exit code and output. */
  async cli(args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? process.cwd(), env: { ...process.env, ...opts.env } });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e: any) {
      return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(e) };
    }
  }

  /** A terminal's credentials work at Glase (assignSeqrId answers 0 only for the right password). */
  async credentialsWork(creds: TerminalCredentials): Promise<boolean> {
    const glase = await GlaseClient.create({ endpoint: this.sim.endpoint, clientId: "durable-check", timeoutMs: 5_000 });
    return glase.assignSeqrId(creds, `chk${Math.floor(Math.random() * 1e9)}`).then(
      () => true,
      () => false,
    );
  }

  /** The simulator's terminal registered with this external id, if any. */
  terminalByExternalId(externalTerminalId: string) {
    return this.sim.sim.dump().terminals.find((t) => t.externalTerminalId === externalTerminalId);
  }

  /** One customer at `point`: authorized, fuels `milli`, hangs up; resolves when the point is idle again. */
  async sale(status: ControlClient, point: number, milli: number): Promise<void> {
    const authorized = new Promise<void>((resolveAuth) => {
      const off = this.controller.onEvent((e) => {
        if (e.type === "request" && e.request.verb === "AUTH" && e.request.point === point) {
          off();
          resolveAuth();
        }
      });
    });
    this.controller.customerCall(point, { gradeId: "95" });
    await authorized;
    this.controller.liftNozzle(point, { gradeId: "95", volumeMilli: milli });
    await eventually(
      async () => (await status.request<Array<{ flowId: string; kind: string; outcome?: string }>>("flows", { all: true })).some((f) => f.kind === "preliminary" && f.outcome === "paid"),
      60_000,
      `a paid sale on point ${point}`,
    );
    await eventually(async () => (await status.request<Array<{ point: number; state: string }>>("points")).find((p) => p.point === point)?.state === "idle", 60_000, `point ${point} idle`);
  }
}

export { AgentProcess, eventually };
