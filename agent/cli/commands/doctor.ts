// `glase-agent doctor [--config FILE] [--print-test] [--json]`: checks an installation and says
// what to fix (agent/doctor/checks.ts). Exit 0 when nothing failed (warnings allowed), 6 when a
// check failed.
import { join } from "node:path";
import { runDoctor, type CheckResult } from "../../doctor/checks.ts";
import type { ControlClient } from "../../daemon/sockets/client.ts";
import { ADMIN_SOCKET, STATUS_SOCKET } from "../../daemon/sockets/server.ts";
import { isAgentError, type AgentError } from "../../../base/errors.ts";
import { configureLogging } from "../../../base/log.ts";
import { parseOptions, type Command } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { table } from "./ctl-render.ts";
import { chooseSocketDir } from "./socket-dir.ts";
import { connectTrusted } from "./socket-trust.ts";

const USAGE = `Usage: glase-agent doctor [--config FILE] [--print-test] [--socket-dir DIR] [--json]

Checks what the installation needs and says what to fix:
  config            the configuration file (as \`config check\`)
  secrets           every secret file the config names, and terminals/*.json: mode 0600
  technician group  sockets.statusGroup exists
  agent             is it running (status.sock)
  state, journal    the state directory and the journal (schema, readable)
  clock, time sync  not before 2024, not behind the journal; NTP synchronised (timedatectl,
                    systemd-timesyncd, chrony or adjtimex — whichever answers)
  glase             benchmarkingNop to glase.endpoint; the clock against Glase's (HTTP Date)
  controller        the dispenser/charger controller answers HELLO
  printer           the printer's status; --print-test prints a test page
With the agent running the devices are checked through it (it holds their ports); --print-test
then needs admin.sock (root or the agent's user).

  --config FILE     station config (default /etc/glase-agent/config.yaml)
  --print-test      print a test page on the receipt printer
  --socket-dir DIR  the running agent's sockets (default: see ctl --help)
  --json            {"ok": bool, "checks": [{check, status, detail, fix}]}

Exit status 0: no check failed (warnings may be listed); 6: at least one failed.`;

function render(results: readonly CheckResult[]): string {
  const rows = table(
    ["CHECK", "STATUS", "DETAIL"],
    results.map((r) => [r.check, r.status.toUpperCase(), r.detail]),
  );
  const fixes = results.filter((r) => r.fix && (r.status === "fail" || r.status === "warn")).map((r) => `  ${r.check}: ${r.fix}`);
  const failed = results.filter((r) => r.status === "fail").length;
  const warned = results.filter((r) => r.status === "warn").length;
  const verdict = failed > 0 ? `${failed} problem(s)${warned ? `, ${warned} warning(s)` : ""}` : warned > 0 ? `no problems, ${warned} warning(s)` : "no problems";
  return [rows, "", ...(fixes.length ? ["What to do:", ...fixes, ""] : []), verdict].join("\n");
}

export const doctorCommand: Command = {
  name: "doctor",
  usage: USAGE,
  async run(argv) {
    const { values } = parseOptions(argv, { config: { type: "string", short: "c" }, "print-test": { type: "boolean" }, "socket-dir": { type: "string" }, json: { type: "boolean" } });
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    // stdout is the report (--json for scripts); what the drivers log on the way goes to stderr.
    configureLogging({ sink: { write: (line) => process.stderr.write(line) } });
    const dir = chooseSocketDir(values["socket-dir"] as string | undefined).dir;
    let agent: ControlClient | undefined;
    try {
      agent = await connectTrusted(join(dir, STATUS_SOCKET), false, 2_000);
    } catch (e) {
      // A listener that is not the agent (SO_PEERCRED) is refused, never read as the agent's answer.
      if (isAgentError(e, "PERMISSION_DENIED") && (e as AgentError).context.pid !== undefined) throw e;
      if (!isAgentError(e, "AGENT_UNREACHABLE") && !isAgentError(e, "PERMISSION_DENIED")) throw e;
    }
    try {
      const results = await runDoctor({
        configFile: (values.config as string | undefined) ?? "/etc/glase-agent/config.yaml",
        printTest: values["print-test"] === true,
        ...(agent ? { agent } : {}),
        adminAgent: () => connectTrusted(join(dir, ADMIN_SOCKET), true, 2_000),
      });
      const ok = !results.some((r) => r.status === "fail");
      process.stdout.write((values.json ? JSON.stringify({ ok, checks: results }, null, 2) : render(results)) + "\n");
      return ok ? EXIT.OK : EXIT.PROBLEMS;
    } finally {
      agent?.close();
    }
  },
};
