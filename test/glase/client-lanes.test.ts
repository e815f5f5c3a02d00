// One terminal's hung calls must never delay another terminal's poll (the 20-second rule): the
// client keeps a connection lane per terminal instead of one shared pool of keep-alive sockets.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GlaseClient } from "../../agent/glase/client.ts";
import { OK, soapResponse } from "./canned-server.ts";
import { captureLogger } from "./capture-logger.ts";

let server: http.Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Calls of terminals named HANG… are read and never answered; every other call gets ISSUED.
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (/<id>HANG/.test(Buffer.concat(chunks).toString("utf8"))) return;
      res.writeHead(200, { "Content-Type": "text/xml; charset=utf-8" }).end(soapResponse("getPaymentStatus", `${OK}<status>ISSUED</status><version>1</version>`));
    });
  });
  server.on("connection", (s: Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap/merchant/cashregister-2`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("connection lanes", () => {
  it("(12) sixteen terminals with hung calls never delay another terminal's poll", async () => {
    const client = await GlaseClient.create({ endpoint, clientId: "t", timeoutMs: 10_000, logger: captureLogger().logger });
    try {
      const hung = Array.from({ length: 16 }, (_, i) => client.getPaymentStatus({ terminalId: `HANG${i}`, password: "x" }, "1", 0, { timeoutMs: 8000 }).catch(() => "timed out"));
      const t0 = performance.now();
      const r = await client.getPaymentStatus({ terminalId: "FINE", password: "x" }, "1", 0, { timeoutMs: 8000 });
      expect(r.status).toBe("ISSUED");
      expect(performance.now() - t0).toBeLessThan(1000);
      client.close(); // ends the hung calls
      await Promise.all(hung);
    } finally {
      client.close();
    }
  });
});
