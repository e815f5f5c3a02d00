// The daemon tests' station: config/simulated-station.yaml with every path inside the test's own
// directory, no background customers and no metrics port, written out as a config file.
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";

/**
 * Writes `dir`/station.yaml and resolves its path; `edit` adjusts the parsed document first (an
 * untyped YAML tree: the agent's config loader is what validates it).
 */
export async function writeStationConfig(dir: string, edit: (doc: any) => void = () => {}): Promise<string> {
  const doc = parse(await readFile("config/simulated-station.yaml", "utf8"));
  edit(doc);
  doc.simulation.customers.enabled = false;
  delete doc.metrics;
  doc.stateDir = join(dir, "state");
  doc.sockets = { dir: join(dir, "run") };
  doc.devices.printer.dir = join(dir, "receipts");
  isolateKioskApis(doc, dir);
  const configFile = join(dir, "station.yaml");
  await writeFile(configFile, stringify(doc));
  return configFile;
}

/** A notification token file (0600) in `dir` for an invoiceService section; resolves its path. */
export async function writeNotificationToken(dir: string, token = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"): Promise<string> {
  const file = join(dir, "notification.token");
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/**
 * The shipped config's Kiosk API socket and token are relative paths (`.glase/run/kiosk.sock`),
 * resolved in the working directory — the checkout, for every test that starts an agent. Moved
 * into the test's own directory, two agents started by two test files at once never bind (or
 * unlink) each other's socket.
 */
export function isolateKioskApis(doc: any, dir: string): void {
  for (const c of doc.devices?.controllers ?? []) {
    if (c.driver !== "kiosk-api") continue;
    c.socketPath = join(dir, "run", `kiosk-${c.id}.sock`);
    c.tokenFile = join(dir, "state", `kiosk-${c.id}.token`);
  }
}
