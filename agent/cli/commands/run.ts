// `glase-agent run --config FILE`: the daemon (systemd's ExecStart, and `npm start`).
import { parseOptions, type Command } from "../command.ts";
import { AgentError } from "../../../base/errors.ts";

const USAGE = `Usage: glase-agent run --config FILE

Runs the payment agent: opens the journal, recovers unfinished flows, connects the devices,
opens the technician sockets and notifies systemd (READY=1) when NOTIFY_SOCKET is set.
SIGTERM/SIGINT stop gracefully (running deliveries finish and settle), a second signal exits at
once; SIGHUP reloads the config.

  --config FILE   station config (see config/simulated-station.yaml, config/example-site.yaml)

Not under systemd, state goes to ./.glase/state and sockets to ./.glase/run (where
\`glase-agent ctl\` looks by default).`;

export const runCommand: Command = {
  name: "run",
  usage: USAGE,
  async run(argv) {
    const { values } = parseOptions(argv, { config: { type: "string", short: "c" } });
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (!values.config) throw new AgentError("INPUT_INVALID", "--config FILE is required");
    // Loaded lazily: the daemon pulls in every driver, the other commands need none of them.
    const { runDaemon } = await import("../../daemon/run.ts");
    return runDaemon({ configFile: values.config });
  },
};
