// npm run bench:soap — latency of GlaseClient.getPaymentStatus against the embedded simulator on
// loopback, next to a raw HTTP POST (node:http, keep-alive) of the very same envelope to the same
// simulator in the same run. The ratio client/raw is the client's own overhead (soap
// serialisation + parsing + decoding); the goal is ≤ 1.5 at the median.
// Both series run strictly alternating so machine load drifts hit both alike.
import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { GlaseClient } from "../agent/glase/client.ts";
import { configureLogging } from "../base/log.ts";
import type { TerminalCredentials } from "../contracts/glase/types.ts";
import { money } from "../base/money.ts";
import { startGlaseSimulator } from "../simulator/glase/index.ts";

const CALLS = 2000;
const WARMUP = 300;
const GOAL = 1.5;
const terminal: TerminalCredentials = { terminalId: "0460000300002010", password: "2009" };

configureLogging({ level: "warn" });

/** Records the exact bytes GlaseClient would post, by pointing a client at a capture server. */
async function captureEnvelope(invoiceReference: string, version: number): Promise<{ body: string; headers: http.OutgoingHttpHeaders }> {
  let captured: { body: string; headers: http.IncomingHttpHeaders } | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      captured = { body: Buffer.concat(chunks).toString("utf8"), headers: req.headers };
      res.writeHead(200, { "Content-Type": "text/xml" });
      res.end(
        `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/">` +
          `<return><resultCode>0</resultCode><status>ISSUED</status><version>1</version></return></ns2:getPaymentStatusResponse></soap:Body></soap:Envelope>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = await GlaseClient.create({ endpoint: `http://127.0.0.1:${port}/soap/merchant/cashregister-2`, clientId: "bench", timeoutMs: 10_000 });
  await client.getPaymentStatus(terminal, invoiceReference, version);
  client.close();
  server.close();
  if (!captured) throw new Error("capture failed");
  return {
    body: captured.body,
    headers: { "Content-Type": String(captured.headers["content-type"]), SOAPAction: String(captured.headers.soapaction) },
  };
}

function rawPost(agent: http.Agent, url: URL, body: Buffer, headers: http.OutgoingHttpHeaders): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { ...headers, "Content-Length": body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

const us = (ms: number): string => `${(ms * 1000).toFixed(0).padStart(6)} µs`;

async function main(): Promise<void> {
  const sim = await startGlaseSimulator({ port: 0 });
  const client = await GlaseClient.create({ endpoint: sim.endpoint, clientId: "bench", timeoutMs: 10_000 });
  try {
    const sent = await client.sendInvoice(terminal, { title: "bench", totalAmount: money("SEK", 10000) });
    const first = await client.getPaymentStatus(terminal, sent.invoiceReference, 0);
    const version = first.version;
    const { body, headers } = await captureEnvelope(sent.invoiceReference, version);
    const bodyBytes = Buffer.from(body, "utf8");
    const url = new URL(sim.endpoint);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

    const viaClient = async (): Promise<number> => {
      const t = performance.now();
      const r = await client.getPaymentStatus(terminal, sent.invoiceReference, version);
      const d = performance.now() - t;
      if (r.status !== "ISSUED") throw new Error(`unexpected status ${r.status}`);
      return d;
    };
    const viaRaw = async (): Promise<number> => {
      const t = performance.now();
      const text = await rawPost(agent, url, bodyBytes, headers);
      const d = performance.now() - t;
      if (!text.includes("<resultCode>0</resultCode>")) throw new Error("raw call did not succeed");
      return d;
    };

    for (let i = 0; i < WARMUP; i++) {
      await viaClient();
      await viaRaw();
    }
    const clientSamples: number[] = [];
    const rawSamples: number[] = [];
    // Process CPU time per call (client + in-process simulator) is less sensitive to other load
    // on the machine than wall-clock latency: printed as a second view of the same ratio.
    let clientCpu = 0;
    let rawCpu = 0;
    const measure = async (call: () => Promise<number>, samples: number[]): Promise<number> => {
      const before = process.cpuUsage();
      samples.push(await call());
      const d = process.cpuUsage(before);
      return (d.user + d.system) / 1000;
    };
    // Strict alternation, first one then the other, so both series see the same machine state
    // (this box is shared: blocks of one kind would each catch different load).
    for (let i = 0; i < CALLS; i++) {
      if (i % 2 === 0) {
        rawCpu += await measure(viaRaw, rawSamples);
        clientCpu += await measure(viaClient, clientSamples);
      } else {
        clientCpu += await measure(viaClient, clientSamples);
        rawCpu += await measure(viaRaw, rawSamples);
      }
    }
    agent.destroy();

    const c = summary(clientSamples);
    const r = summary(rawSamples);
    const ratio = c.median / r.median;
    console.log(`getPaymentStatus × ${CALLS} sequential calls on loopback against the Glase simulator (envelope ${bodyBytes.length} bytes)`);
    console.log(`                      median        p99`);
    console.log(`GlaseClient       ${us(c.median)}  ${us(c.p99)}`);
    console.log(`raw HTTP POST     ${us(r.median)}  ${us(r.p99)}`);
    console.log(`ratio             ${ratio.toFixed(2).padStart(9)}  ${(c.p99 / r.p99).toFixed(2).padStart(9)}   (goal median ratio ≤ ${GOAL}: ${ratio <= GOAL ? "met" : "NOT met"})`);
    const cpuRatio = clientCpu / rawCpu;
    console.log(`CPU per call      client ${us(clientCpu / CALLS)}, raw ${us(rawCpu / CALLS)}, ratio ${cpuRatio.toFixed(2)}`);
    console.log(`machine load      ${os.loadavg()[0]!.toFixed(1)} (1-min average) on ${os.cpus().length} CPUs`);
  } finally {
    client.close();
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
