// Terminal lifecycle commands: `glase-agent register | unregister | assign-id`. When the agent is
// running they go through its admin.sock (the agent then uses the new credentials at once and
// owns the scanner); when it is not, they call Glase directly with the config's endpoint.
import { join } from "node:path";
import { AgentError, isAgentError } from "../../../base/errors.ts";
import { configureLogging, createLogger } from "../../../base/log.ts";
import { loadConfig } from "../../config/load.ts";
import { resellerCredentials } from "../../config/credentials.ts";
import { resolveCommandPaths } from "../../config/paths.ts";
import { parseGlaseId } from "../../daemon/glase-id.ts";
import { TerminalManager } from "../../daemon/terminals.ts";
import { ControlClient } from "../../daemon/sockets/client.ts";
import { ADMIN_SOCKET } from "../../daemon/sockets/server.ts";
import { parseOptions, type Command } from "../command.ts";
import { findSocketDir } from "./socket-dir.ts";
import { checkLocalSocketTrust, checkServerPeer } from "./socket-trust.ts";
import { becomeOwnerOf } from "./state-owner.ts";
import { assertNoRestoreInProgress } from "../../backup/restore-swap.ts";

const COMMON_OPTIONS = {
  config: { type: "string", short: "c" },
  point: { type: "string", short: "p" },
  json: { type: "boolean" },
  "socket-dir": { type: "string" },
} as const;

const COMMON_HELP = `  --config FILE       station config (default /etc/glase-agent/config.yaml)
  --point N           the point (as in the config's points[].id)
  --socket-dir DIR    where the running agent's admin.sock is (default: see ctl --help)
  --json              machine-readable output`;

interface Ctx {
  readonly point: number;
  readonly json: boolean;
  /** Connected admin client when the agent runs, else undefined. */
  readonly agent: ControlClient | undefined;
  /** Direct access (agent not running). */
  direct(): Promise<TerminalManager>;
  /** The journal the service uses with this config (agent not running). */
  journalPath(): Promise<string>;
}

async function context(argv: readonly string[], extra: Record<string, { type: "string" | "boolean" }>, usage: string) {
  const { values, positionals } = parseOptions(argv, { ...COMMON_OPTIONS, ...extra }, true);
  if (values.help) return { help: usage } as const;
  const point = Number(values.point);
  if (!Number.isSafeInteger(point) || point <= 0) throw new AgentError("INPUT_INVALID", "--point N is required (a positive integer)");
  const configFile = (values.config as string | undefined) ?? "/etc/glase-agent/config.yaml";
  let agent: ControlClient | undefined;
  try {
    const socket = join(findSocketDir(values["socket-dir"] as string | undefined), ADMIN_SOCKET);
    checkLocalSocketTrust(socket, true); // PERMISSION_DENIED: neither asked nor bypassed
    agent = await ControlClient.connect(socket, 2_000);
    checkServerPeer(agent, socket, true);
  } catch (e) {
    if (!isAgentError(e, "AGENT_UNREACHABLE")) throw e;
  }
  const ctx: Ctx = {
    point,
    json: values.json === true,
    agent,
    async journalPath() {
      const { config } = await loadConfig(configFile);
      const paths = resolveCommandPaths(config, configFile);
      await assertNoRestoreInProgress(paths.stateDir); // the journal may be aside (review 4 #5)
      return paths.journal;
    },
    async direct() {
      // stdout carries the command's answer (--json for scripts); the log goes to stderr.
      configureLogging({ sink: { write: (line) => process.stderr.write(line) } });
      const { config } = await loadConfig(configFile);
      // Where the service reads them, not under this shell's working directory.
      const paths = resolveCommandPaths(config, configFile);
      const terminalsDir = paths.terminalsDir;
      // While a restore is unfinished terminals/ is being swapped: writing there would bury the
      // new credentials in replaced-*/ or make the re-run conflict (review 4 #5).
      await assertNoRestoreInProgress(paths.stateDir);
      if (config.glase.endpoint === "embedded-simulator") {
        throw new AgentError("CONFLICT", "the embedded simulator only exists inside the running agent: start it (npm start), then run this again");
      }
      // Loaded here, not at the top: every `glase-agent` invocation would pay for soap otherwise.
      const { GlaseClient } = await import("../../glase/client.ts");
      const glase = await GlaseClient.create({ endpoint: config.glase.endpoint, clientId: config.glase.clientId, timeoutMs: config.glase.timeouts.requestMs });
      // Read while still root (it may be root's alone); a failure is register's to report.
      const shop = resellerCredentials(config);
      await shop.catch(() => undefined); // handled: the rejection reaches register through reseller()
      const logger = createLogger("terminals");
      await becomeOwnerOf(terminalsDir, logger);
      return new TerminalManager({ config, terminalsDir, glase, endpoint: config.glase.endpoint, reseller: () => shop, logger });
    },
  };
  return { ctx, values: values as Record<string, string | boolean | undefined>, positionals } as const;
}

function print(ctx: Ctx, result: Record<string, unknown>): void {
  process.stdout.write(ctx.json ? JSON.stringify(result) + "\n" : Object.entries(result).map(([k, v]) => `${k}: ${String(v)}`).join("\n") + "\n");
}

const REGISTER_USAGE = `Usage: glase-agent register --point N [--name NAME] [--config FILE]

Registers a new Glase terminal for the point with the shop (RESELLERUSER) credentials of the
config, with a freshly generated strong password. terminalId and password are stored 0600 in
the state directory (terminals/point-N.json); the password is never printed. With the agent
stopped and the service's config, that is the service's StateDirectory (/var/lib/glase-agent).
The password is on disk before Glase is asked; if the answer is lost the point stays out of
service and running register again keeps the unanswered attempt in terminals/orphans/.

${COMMON_HELP}
  --name NAME         name shown on the payer's phone (default: "<station>, <point name>")`;

export const registerCommand: Command = {
  name: "register",
  usage: REGISTER_USAGE,
  async run(argv) {
    const c = await context(argv, { name: { type: "string" } }, REGISTER_USAGE);
    if ("help" in c) return process.stdout.write(c.help + "\n"), 0;
    const { ctx, values } = c;
    const name = values.name as string | undefined;
    const result = ctx.agent
      ? await ctx.agent.request<Record<string, unknown>>("register", { point: ctx.point, ...(name ? { name } : {}) }).finally(() => ctx.agent!.close())
      : { ...(await (await ctx.direct()).register(ctx.point, name ? { name } : {})) };
    print(ctx, result);
    return 0;
  },
};

const UNREGISTER_USAGE = `Usage: glase-agent unregister --point N [--config FILE]

Unregisters the point's Glase terminal and deletes its stored credentials.

${COMMON_HELP}`;

export const unregisterCommand: Command = {
  name: "unregister",
  usage: UNREGISTER_USAGE,
  async run(argv) {
    const c = await context(argv, {}, UNREGISTER_USAGE);
    if ("help" in c) return process.stdout.write(c.help + "\n"), 0;
    const { ctx } = c;
    if (ctx.agent) await ctx.agent.request("unregister", { point: ctx.point }).finally(() => ctx.agent!.close());
    else {
      // The agent is stopped: the journal may still hold a flow of this point that its next start
      // must finish with these very credentials (a reservation to commit or cancel).
      const { unfinishedFlowsOf } = await import("../../journal/unfinished.ts");
      const open = await unfinishedFlowsOf(await ctx.journalPath(), ctx.point);
      if (open.length > 0) {
        const list = open.map((f) => `${f.flowId} (${f.parked ? "parked, " : ""}${f.state})`).join(", ");
        throw new AgentError("CONFLICT", `point ${ctx.point} has unfinished flows in the journal: ${list}; start the agent so it finishes them with this terminal (ctl flows; a parked one needs ctl resolve), then unregister`, { point: ctx.point, flows: open.map((f) => f.flowId) });
      }
      await (await ctx.direct()).unregister(ctx.point);
    }
    print(ctx, { point: ctx.point, unregistered: true });
    return 0;
  },
};

const ASSIGN_USAGE = `Usage: glase-agent assign-id --point N (GLASE_ID | --from-scanner) [--config FILE]

Binds a Glase ID sticker to the point's terminal. Type the number printed under the barcode,
or use --from-scanner and scan the sticker (Code 128 barcode or the QR code) within 60 s
(the running agent reads its scanner). Letters and digits only.

${COMMON_HELP}
  --from-scanner      take the ID from the next scan`;

export const assignIdCommand: Command = {
  name: "assign-id",
  usage: ASSIGN_USAGE,
  async run(argv) {
    const c = await context(argv, { "from-scanner": { type: "boolean" } }, ASSIGN_USAGE);
    if ("help" in c) return process.stdout.write(c.help + "\n"), 0;
    const { ctx, values, positionals } = c;
    const fromScanner = values["from-scanner"] === true;
    if (fromScanner === (positionals.length === 1) || positionals.length > 1) {
      throw new AgentError("INPUT_INVALID", "give either a GLASE_ID or --from-scanner");
    }
    try {
      let raw = positionals[0];
      if (fromScanner) {
        if (!ctx.agent) throw new AgentError("CONFLICT", "--from-scanner needs the running agent (it owns the scanner); or type the ID");
        if (!ctx.json) process.stderr.write("scan the Glase ID sticker now (60 s)…\n");
        raw = (await ctx.agent.request<{ text: string }>("next-scan", { timeoutMs: 60_000 })).text;
      }
      const glaseId = parseGlaseId(raw!);
      if (ctx.agent) await ctx.agent.request("assign-id", { point: ctx.point, glaseId });
      else await (await ctx.direct()).assignGlaseId(ctx.point, glaseId);
      print(ctx, { point: ctx.point, glaseId });
      return 0;
    } finally {
      ctx.agent?.close();
    }
  },
};
