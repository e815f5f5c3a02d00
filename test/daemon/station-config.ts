// The daemon tests' station: config/simulated-station.yaml with every path inside the test's own
// directory, no background customers and no metrics port, written out as a config file.
import { readFile, writeFile } from "node:fs/promises";
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
  const configFile = join(dir, "station.yaml");
  await writeFile(configFile, stringify(doc));
  return configFile;
}
