// The shell's only door to simulator/ (ARCHITECTURE.md, "the composition root"): the virtual
// devices, the embedded Glase simulator and the simulated Invoice Service a config may ask for.
// Loaded on demand, so a production config never loads a twin; the types are free (erased).
// The import-rule test (test/architecture/import-rules.test.ts) allows no other agent/ file to
// import simulator/.
export { SimClock } from "../../simulator/clock.ts";
export type { VirtualController } from "../../simulator/devices/virtual-controller.ts";
export type { VirtualPrinter } from "../../simulator/devices/virtual-printer.ts";
export type { VirtualScanner } from "../../simulator/devices/virtual-scanner.ts";
export type { RunningGlaseSimulator } from "../../simulator/glase/index.ts";

export const loadVirtualController = () => import("../../simulator/devices/virtual-controller.ts");
export const loadVirtualPrinter = () => import("../../simulator/devices/virtual-printer.ts");
export const loadVirtualScanner = () => import("../../simulator/devices/virtual-scanner.ts");
/** The embedded Glase simulator as the daemon runs it (a backend of the station). */
export const loadGlaseSimulator = () => import("../../simulator/glase/index.ts");
/** The standalone Glase simulator server and its provisioning file (`glase-agent simulator`). */
export const loadGlaseSimulatorServer = () => import("../../simulator/glase/server.ts");
export const loadGlaseProvisioning = () => import("../../simulator/glase/provisioning.ts");
export const loadInvoiceService = () => import("../../simulator/invoice-service/index.ts");
