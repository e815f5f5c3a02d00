// Placeholder replaced by the simulator work (issue 2).
import type { Command } from "../command.ts";

export const simulatorCommand: Command = {
  name: "simulator",
  summary: "run the embedded Glase simulator",
  usage: "Usage: glase-agent simulator [--port N] [--host H] [--provision FILE]",
  async run() {
    process.stderr.write("not yet implemented\n");
    return 1;
  },
};
