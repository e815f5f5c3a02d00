// The shell's only door to simulator/ (ARCHITECTURE.md; the import-rule test allows no other agent/ file
// to import simulator/). For devices: a controller entry with `virtual:` gets
// its driver's twin, a virtual printer or scanner its simulator — each loaded (dynamic import)
// only when the config asks for it, so a real site never loads the simulators.
import type { ControllerEntry, DriverModule, StartedTwin, TwinContext } from "../../drivers/driver-module.ts";
import type { Logger } from "../../base/log.ts";
import { AgentError } from "../../base/errors.ts";

export async function startControllerTwin(module: DriverModule, config: ControllerEntry, ctx: TwinContext): Promise<StartedTwin<ControllerEntry>> {
  if (!module.twin) throw new AgentError("CONFIG_INVALID", `driver ${module.driver} has no virtual twin (remove virtual: from controller ${config.id})`, { controller: config.id });
  const twin = await module.twin();
  return twin.start(config, ctx);
}

export async function startVirtualPrinter(dir: string, rotate?: NonNullable<Parameters<typeof import("../../simulator/devices/virtual-printer.ts").VirtualPrinter.listen>[0]>["rotate"]) {
  const { VirtualPrinter } = await import("../../simulator/devices/virtual-printer.ts");
  return VirtualPrinter.listen({ receiptsDir: dir, ...(rotate ? { rotate } : {}) });
}

export async function startVirtualScanner(logger: Logger) {
  const { VirtualScanner } = await import("../../simulator/devices/virtual-scanner.ts");
  return new VirtualScanner({ logger });
}

export { SimClock } from "../../simulator/clock.ts";
export type { VirtualPrinter } from "../../simulator/devices/virtual-printer.ts";
export type { VirtualScanner } from "../../simulator/devices/virtual-scanner.ts";
export type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";

/** The embedded Glase simulator as the daemon runs it (a backend of the station). */
export const loadGlaseSimulator = () => import("../../simulator/glase/index.ts");
/** The standalone Glase simulator server and its provisioning file (`glase-agent simulator`). */
export const loadGlaseSimulatorServer = () => import("../../simulator/glase/server.ts");
export const loadGlaseProvisioning = () => import("../../simulator/glase/provisioning.ts");
export const loadInvoiceService = () => import("../../simulator/invoice-service/index.ts");
