// Transport failures as the payment flows see them: each kind produced for real on loopback
// (closed port, dropped connection, silent server, HTTP 500, broken XML, abort) and classified
// definite ("it failed, nothing happened") or indefinite ("we do not know").
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GlaseClient } from "../../agent/glase/client.ts";
import { TransportError } from "../../agent/glase/errors.ts";
import type { TerminalCredentials } from "../../agent/glase/types.ts";
import { OK, soapResponse, startCannedServer, type CannedServer } from "./canned-server.ts";
import { captureLogger } from "./capture-logger.ts";

const terminal: TerminalCredentials = { terminalId: "0460000300002010", password: "2009" };
const STATUS_OK = soapResponse("getPaymentStatus", `${OK}<status>ISSUED</status><version>1</version>`);

let server: CannedServer;
let client: GlaseClient;

beforeAll(async () => {
  server = await startCannedServer();
  client = await GlaseClient.create({ endpoint: server.endpoint, clientId: "test", timeoutMs: 10_000, logger: captureLogger().logger });
});
afterAll(async () => {
  client.close();
  await server.close();
});

async function failure(p: Promise<unknown>): Promise<TransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

/** A port that was just open and is now closed: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe("transport failures", () => {
  it("connection refused is definite", async () => {
    const port = await closedPort();
    const c = await GlaseClient.create({ endpoint: `http://127.0.0.1:${port}/soap/merchant/cashregister-2`, clientId: "t", timeoutMs: 10_000, logger: captureLogger().logger });
    const err = await failure(c.getPaymentStatus(terminal, "1", 0, { clientReference: "ref-refused" }));
    c.close();
    expect(err.code).toBe("GLASE_TRANSPORT");
    expect(err.kind).toBe("refused");
    expect(err.indefinite).toBe(false);
    expect(err.operation).toBe("getPaymentStatus");
    expect(err.context.clientReference).toBe("ref-refused");
  });

  it("an unknown host is definite", async () => {
    const c = await GlaseClient.create({ endpoint: "http://glase.invalid/soap/merchant/cashregister-2", clientId: "t", timeoutMs: 10_000, logger: captureLogger().logger });
    const err = await failure(c.benchmarkingNop());
    c.close();
    expect(err.kind).toBe("refused");
    expect(err.indefinite).toBe(false);
  });

  it("a connection dropped after the request was written is indefinite", async () => {
    server.answer({ drop: true });
    const err = await failure(client.cancelInvoice(terminal, "1"));
    expect(err.kind).toBe("reset");
    expect(err.indefinite).toBe(true);
  });

  it("no answer within the call's timeout is indefinite", async () => {
    server.answer({ hang: true });
    const err = await failure(client.commitReservation(terminal, "1", undefined, { timeoutMs: 200 }));
    expect(err.kind).toBe("timeout");
    expect(err.indefinite).toBe(true);
  });

  it("HTTP 500 with a SOAP Fault is indefinite and names the fault", async () => {
    server.answer({
      status: 500,
      body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>boom</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
    });
    const err = await failure(client.refundPayment(terminal, "e1", { title: "r" }));
    expect(err.kind).toBe("http-status");
    expect(err.indefinite).toBe(true);
    expect(err.context.httpStatus).toBe(500);
    expect(err.message).toContain("boom");
  });

  it("HTTP 404 (wrong path) is definite: the request was refused before processing", async () => {
    server.answer({ status: 404, body: "not found", contentType: "text/plain" });
    const err = await failure(client.benchmarkingNop());
    expect(err.kind).toBe("http-status");
    expect(err.indefinite).toBe(false);
  });

  it("malformed XML in a 200 answer is indefinite", async () => {
    server.answer({ body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:getPaymentStatusResponse` });
    const err = await failure(client.getPaymentStatus(terminal, "1", 0));
    expect(err.kind).toBe("unparsable");
    expect(err.indefinite).toBe(true);
  });

  it("an answer beyond the size bound is unparsable/indefinite", async () => {
    server.answer({ body: soapResponse("executeReport", `${OK}<report><contentString>${"x".repeat(17 * 1024 * 1024)}</contentString></report>`) });
    const err = await failure(client.executeReport({ type: "TERMINALID", ...terminal }, "Reconciliation/Shop.xml", undefined, {}));
    expect([err.kind, err.indefinite]).toEqual(["unparsable", true]);
  });

  it("a well-formed answer without <return> or resultCode is indefinite", async () => {
    server.answer(
      { body: `<html><body>proxy error</body></html>`, contentType: "text/html" },
      { body: soapResponse("getPaymentStatus", `<status>PAID</status>`) },
      { body: soapResponse("getPaymentStatus", `<resultCode>zero</resultCode>`) },
      { body: soapResponse("getPaymentStatus", `${OK}<version>1</version>`) }, // success without status
    );
    for (let i = 0; i < 4; i++) {
      const err = await failure(client.getPaymentStatus(terminal, "1", 0));
      expect(err.kind).toBe("unparsable");
      expect(err.indefinite).toBe(true);
    }
  });

  it("an abort before sending is definite and sends nothing", async () => {
    server.answer({ body: STATUS_OK });
    await client.getPaymentStatus(terminal, "1", 0); // a pooled connection exists, so "nothing sent" is not "could not connect"
    const before = server.requests.length;
    const connections = server.connections();
    const err = await failure(client.cancelInvoice(terminal, "1", { signal: AbortSignal.abort() }));
    expect(err.kind).toBe("aborted");
    expect(err.indefinite).toBe(false);
    expect(server.requests.length).toBe(before);
    expect(server.connections()).toBe(connections);
  });

  it("an abort after the request reached the server is indefinite", async () => {
    server.answer({ hang: true });
    const controller = new AbortController();
    const before = server.requests.length;
    const pending = failure(client.cancelInvoice(terminal, "1", { signal: controller.signal }));
    await server.waitForRequests(before + 1);
    controller.abort();
    const err = await pending;
    expect(err.kind).toBe("aborted");
    expect(err.indefinite).toBe(true);
  });

  it("keeps the connection alive across calls and recovers after a failure", async () => {
    server.answer({ body: STATUS_OK });
    await client.getPaymentStatus(terminal, "1", 0);
    const connections = server.connections();
    for (let i = 0; i < 5; i++) await client.getPaymentStatus(terminal, "1", 0);
    expect(server.connections()).toBe(connections);
    server.answer({ drop: true }, { body: STATUS_OK });
    await failure(client.getPaymentStatus(terminal, "1", 0));
    expect((await client.getPaymentStatus(terminal, "1", 0)).status).toBe("ISSUED");
  });
});

describe("configuration", () => {
  it("rejects a bad endpoint or timeout with CONFIG_INVALID", () => {
    for (const config of [
      { endpoint: "not a url", clientId: "t", timeoutMs: 1000 },
      { endpoint: "ftp://x/y", clientId: "t", timeoutMs: 1000 },
      { endpoint: "http://x/y", clientId: "t", timeoutMs: 0 },
      { endpoint: "http://x/y", clientId: " ", timeoutMs: 1000 },
    ]) {
      expect(() => new GlaseClient(config)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    }
  });
});
