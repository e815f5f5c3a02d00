// What a Station (station.ts) is built from — the config, the devices, the terminals, the engine's
// base options and the optional parts (Invoice Service, operator tools, kiosk host) — and its
// phases. Its own file: the composition root builds these, the station's parts read them.
import type { Logger } from "../../base/log.ts";
import type { Grade } from "../../contracts/dispenser.ts";
import type { ResellerCredentials } from "../../contracts/glase/types.ts";
import type { KioskSale } from "../../contracts/kiosk.ts";
import type { AlertStats } from "../alerts/dispatcher.ts";
import type { AgentConfig } from "../config/schema.ts";
import type { PaymentEngineOptions } from "../engine-api.ts";
import type { InvoiceIssuer } from "../invoice-service/issuer.ts";
import type { DeviceHealthBoard } from "./device-health.ts";
import type { StationDevices } from "./devices.ts";
import type { OperatorTools } from "./operator-tools.ts";
import type { RefundGuard } from "./refund-guard.ts";
import type { KioskDecision } from "./sockets/control.ts";
import type { TerminalManager } from "./terminals.ts";

export type StationPhase = "starting" | "running" | "draining" | "stopping";

export interface StationParts {
  config: AgentConfig;
  readonly version: string;
  readonly devices: StationDevices;
  readonly board: DeviceHealthBoard;
  readonly terminals: TerminalManager;
  readonly grades: readonly Grade[];
  /** Everything the engine needs besides points and settings. */
  readonly engineBase: Omit<PaymentEngineOptions, "points" | "settings">;
  readonly logger: Logger;
  readonly testHooks: boolean;
  readonly issuer?: InvoiceIssuer;
  /** Backup, export, test print (absent in tests that do not need them). */
  readonly operator?: OperatorTools;
  /** The alerting hook's state, when one is configured. */
  readonly alertStats?: () => AlertStats;
  /**
   * The shop (reseller) credentials, read at each engine start. Not needed to sell, so a shop
   * password that cannot be read is an alarm (shop-wide reconciliation and registration wait for
   * the fix), never a start failure. Absent: engineBase.reseller as given.
   */
  readonly shop?: (config: AgentConfig) => Promise<ResellerCredentials | undefined>;
  /** Shared with the kiosk host's automatic refunds (one at a time per payment). */
  readonly refundGuard?: RefundGuard;
  /** The kiosk host (kiosk points only): `ctl kiosk-resolve` settles its sales. */
  readonly kiosk?: { resolveSale(saleId: string, decision: KioskDecision, by: string): Promise<KioskSale>; setGlaseId(point: number, glaseId: string | undefined): void };
}
