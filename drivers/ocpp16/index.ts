// The OCPP 1.6J charger driver as one module for the device layer: its config schema, how to
// open it, and its virtual twin (a charge point that speaks OCPP 1.6J to it over a real
// WebSocket, loaded only when asked for so a real site never loads the simulator).
//
//   const charger = await openOcpp16Controller(config, { logger, scheduler, store });
//   charger.onEvent(...); await charger.authorize(...); ...; await charger.close();
//
// What it needs from the shell: a Logger, a Scheduler (clock + timers) and a DriverStore scoped
// to this controller whose writes are durable when they resolve (the SQLite journal).
import { readFile } from "node:fs/promises";
import { AgentError } from "../../base/errors.ts";
import { Ocpp16ConfigSchema, type Ocpp16Config, type Ocpp16ConfigInput } from "./config.ts";
import { Ocpp16Controller, type Ocpp16Deps } from "./driver.ts";
import { readPrivateFile } from "./secrets.ts";

export { Ocpp16ConfigSchema, type ChargerConfig, type ConnectorConfig, type Ocpp16Config, type Ocpp16ConfigInput } from "./config.ts";
export { Ocpp16Controller, type ChargerSnapshot, type Ocpp16Deps } from "./driver.ts";

export const DRIVER_ID = "ocpp16";

/** Shortest Basic-auth password (AuthorizationKey) accepted. */
export const MIN_PASSWORD_BYTES = 16;

/**
 * Validates the config (defaults filled in), reads the chargers' passwords and the TLS key from
 * their 0600 files, loads the durable sale book and starts listening. Rejects with
 * CONFIG_INVALID (bad config, unreadable or too-open secret file) or DEVICE_DISCONNECTED (the
 * port cannot be bound). Chargers connect whenever they come; `link` says the listener is up.
 */
export async function openOcpp16Controller(config: Ocpp16ConfigInput | Ocpp16Config, deps: Ocpp16Deps): Promise<Ocpp16Controller> {
  const parsed = Ocpp16ConfigSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new AgentError("CONFIG_INVALID", `OCPP driver config: ${problems.join("; ")}`, { problems });
  }
  const cfg = parsed.data;
  const passwords = new Map<string, Buffer>();
  for (const c of cfg.chargers) {
    if (c.passwordFile === undefined) continue;
    const password = Buffer.from(await readPrivateFile(c.passwordFile, `password file of charger ${c.id}`), "utf8");
    // The OCPP 1.6 security whitepaper: an AuthorizationKey of 16-20 bytes (random); a short one is guessed.
    if (password.length < MIN_PASSWORD_BYTES) {
      throw new AgentError("CONFIG_INVALID", `password file of charger ${c.id} ${c.passwordFile}: ${password.length} bytes, at least ${MIN_PASSWORD_BYTES} needed (OCPP 1.6 security whitepaper: 16-20 random bytes; e.g. \`openssl rand -hex 10 > ${c.passwordFile}\`)`, { path: c.passwordFile });
    }
    passwords.set(c.id, password);
  }
  const tls = cfg.listen.tls
    ? {
        // The certificate is public; only the key must be private.
        cert: await readFile(cfg.listen.tls.certFile, "utf8").catch((e: NodeJS.ErrnoException) => {
          throw new AgentError("CONFIG_INVALID", `TLS certificate ${cfg.listen.tls!.certFile}: cannot read (${e.code ?? "error"})`, { path: cfg.listen.tls!.certFile });
        }),
        key: await readPrivateFile(cfg.listen.tls.keyFile, "TLS private key", false),
        minVersion: cfg.listen.tls.minVersion,
      }
    : undefined;
  const driver = new Ocpp16Controller(cfg, deps, { passwords, ...(tls ? { tls } : {}) });
  await driver.start();
  return driver;
}

/** The virtual twin: simulator/devices/virtual-charge-point.ts (tests, simulated stations). */
export function loadVirtualChargePoint(): Promise<typeof import("../../simulator/devices/virtual-charge-point.ts")> {
  return import("../../simulator/devices/virtual-charge-point.ts");
}
