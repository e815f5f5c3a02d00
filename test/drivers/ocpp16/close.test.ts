// Shutting the central system down never waits on a charger that is gone: a charger whose network
// vanished (no FIN: the agent's close frame is never answered) must not hold the driver's close()
// for ws's 30 s closing handshake — a systemd stop would hit its timeout, a reload would stall.
import { type Server, Socket, createServer } from "node:net";
import { afterEach, expect, it } from "vitest";
import { openRig, synced, testConfig } from "./helpers.ts";

let proxy: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  proxy = undefined;
});

/** A TCP hop between charger and agent that can go silent: bytes stop flowing, no FIN either way. */
async function blackholeProxy(targetPort: number): Promise<{ port: number; silence(): void; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let silent = false;
  proxy = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(targetPort, "127.0.0.1");
    sockets.push(client, upstream);
    client.on("data", (d) => !silent && upstream.write(d));
    upstream.on("data", (d) => !silent && client.write(d));
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((r) => proxy!.listen(0, "127.0.0.1", () => r()));
  const port = (proxy.address() as { port: number }).port;
  return { port, silence: () => void (silent = true), sockets };
}

it("close() returns promptly when a charger's connection went silent (half-open), and cleans up its socket", async () => {
  const rig = await openRig(testConfig());
  const hop = await blackholeProxy(rig.driver.port);
  const cp = await rig.chargePoint({ endpoint: rig.driver.url.replace(`:${rig.driver.port}`, `:${hop.port}`) });
  await synced(rig);
  hop.silence();
  await cp.goOffline().catch(() => undefined); // the charger's side is gone; the agent's side never hears of it
  const t0 = Date.now();
  await rig.driver.close();
  expect(Date.now() - t0).toBeLessThan(5_000);
  for (const s of hop.sockets) s.destroy();
}, 45_000);
