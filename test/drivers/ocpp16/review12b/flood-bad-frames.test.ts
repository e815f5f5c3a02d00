// Review 12b #4: the flood limit counts well-formed CALLs only (peer.on("call")). Frames ocpp-rpc
// rejects before that event — a CALLRESULT/CALLERROR for an unknown message id, an unknown message
// type, a non-string id, unparseable JSON — are bounded only by maxBadMessages (10 in a row), and
// ocpp-rpc resets that counter on every good frame. 9 bad frames of ~60 KB + 1 Heartbeat, at a
// Heartbeat rate under maxCallsPerSecond, is ~6 MB/s of JSON parsing per charger, never closed.
// Review 12b #6 (LOW): auth throttling is per (charger, source address): 127.0.0.0/8 on loopback
// (or an IPv6 /64 on a LAN) gives an attacker as many fresh sources as it wants.
import WebSocket from "ws";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { openRig, synced, testConfig } from "../helpers.ts";
import { handCharger } from "../review12/hand.ts";

it("bad frames interleaved with Heartbeats are a flood too: the link is closed", async () => {
  const rig = await openRig(testConfig({ maxFrameBytes: 65_536 }));
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await cp.call("BootNotification", { chargePointVendor: "Hand", chargePointModel: "Script" });
  await synced(rig);
  let closedCode: number | undefined;
  void cp.closed.then((c) => (closedCode = c));
  const pad = "x".repeat(60_000);
  let bytes = 0;
  const started = Date.now();
  let k = 0;
  while (Date.now() - started < 3000 && closedCode === undefined) {
    for (let i = 0; i < 9; i++) {
      const f = JSON.stringify([3, `nobody-asked-${k}-${i}`, { pad }]);
      bytes += f.length;
      cp.sendRaw(f);
    }
    await cp.call("Heartbeat", {}, 1000).catch(() => undefined); // 1 good frame: resets ocpp-rpc's bad-message count
    k++;
    await new Promise((r) => setTimeout(r, 70)); // ~14 Heartbeats/s, under maxCallsPerSecond 20 (pacing, not synchronisation)
  }
  const open = cp.ws.readyState === WebSocket.OPEN;
  cp.close();
  expect({ open, closedCode }, `${(bytes / 1e6).toFixed(1)} MB of bad frames in 3 s, connection still open`).toMatchObject({ open: false });
});

// Review 12b #6 (LOW, per-source auth backoff) is not fixed yet: kept as a skipped repro.
it.skip("wrong passwords from many loopback addresses are never throttled", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rv12b-"));
  const passwordFile = join(dir, "cp1.secret");
  writeFileSync(passwordFile, "0123456789abcdef0123");
  chmodSync(passwordFile, 0o600);
  const rig = await openRig(testConfig({ chargers: [{ id: "CP-1", securityProfile: 1, passwordFile, connectors: [{ connectorId: 1, point: 1 }] }] }));
  const url = `${rig.driver.url}/CP-1`;
  const statuses: number[] = [];
  for (let a = 2; a < 8; a++) {
    for (let g = 0; g < 5; g++) {
      statuses.push(
        await new Promise<number>((resolve) => {
          const ws = new WebSocket(url, ["ocpp1.6"], { headers: { authorization: `Basic ${Buffer.from(`CP-1:guess${a}-${g}`).toString("base64")}` }, localAddress: `127.0.0.${a}` });
          ws.once("unexpected-response", (_q, res) => resolve(res.statusCode ?? 0));
          ws.once("open", () => (ws.close(), resolve(101)));
          ws.once("error", () => resolve(-1));
        }),
      );
    }
  }
  const throttled = statuses.filter((s) => s === 429).length;
  expect(throttled, `${statuses.length} wrong guesses from 6 addresses, ${throttled} throttled, no alarm event`).toBeGreaterThan(0);
});
