// Public API of the embedded Glase simulator (contract §1–§6, §10): start it on a port, drive
// the customer side and faults through `sim` (or over HTTP under /__sim/), read `sim.dump()`.
export { startGlaseSimulator, PRIMARY_PATH, type RunningGlaseSimulator, type StartSimulatorOptions, type RouteHandler } from "./server.ts";
export { GlaseSimulator, type SimDump } from "./simulator.ts";
export { DEFAULT_SETTINGS, type SimSettings, type AutoCustomerSettings, type InvoiceRecord } from "./state.ts";
export { loadProvisioning, parseProvisioning, type Provisioning, type ProvisionedIssuer } from "./provisioning.ts";
export { DEFAULT_SHOP, DEFAULT_TERMINALS } from "./defaults.ts";
export { FAULT_KINDS, type FaultKind, type FaultInput, type FaultSpec } from "./faults.ts";
export type { InvoiceSummary, ScanInput } from "./customer.ts";
