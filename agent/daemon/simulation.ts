// The daemon's one door to simulator code for devices: a controller entry with `virtual:` gets
// its driver's twin, a virtual printer or scanner its simulator — each loaded (dynamic import)
// only when the config asks for it, so a real site never loads the simulators.
import type { ControllerEntry, DriverModule, StartedTwin, TwinContext } from "../../drivers/driver-module.ts";
import type { Logger } from "../log.ts";
import { AgentError } from "../errors.ts";

export async function startControllerTwin(module: DriverModule, config: ControllerEntry, ctx: TwinContext): Promise<StartedTwin<ControllerEntry>> {
  if (!module.twin) throw new AgentError("CONFIG_INVALID", `driver ${module.driver} has no virtual twin (remove virtual: from controller ${config.id})`, { controller: config.id });
  const twin = await module.twin();
  return twin.start(config, ctx);
}

export async function startVirtualPrinter(dir: string) {
  const { VirtualPrinter } = await import("../../simulator/devices/virtual-printer.ts");
  return VirtualPrinter.listen({ receiptsDir: dir });
}

export async function startVirtualScanner(logger: Logger) {
  const { VirtualScanner } = await import("../../simulator/devices/virtual-scanner.ts");
  return new VirtualScanner({ logger });
}
