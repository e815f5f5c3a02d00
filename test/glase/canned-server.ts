// A real HTTP server on loopback for client tests that need exact control over the answer
// (canned contract examples, broken answers, dropped connections). It records every request.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What to do with the next request. */
export type Answer =
  | { readonly status?: number; readonly body: string; readonly contentType?: string }
  | { readonly drop: true } // destroy the connection after reading the request
  | { readonly hang: true }; // never answer

export interface CannedServer {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Connections accepted so far (keep-alive check). */
  connections(): number;
  /** Answers for the next requests, in order; the last one repeats. */
  answer(...answers: Answer[]): void;
  /** Resolves when `n` requests have been received. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCannedServer(): Promise<CannedServer> {
  const requests: RecordedRequest[] = [];
  let queue: Answer[] = [{ status: 500, body: "no answer configured" }];
  let connections = 0;
  const sockets = new Set<Socket>();
  const waiters: Array<{ n: number; resolve: () => void }> = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const next = queue.length > 1 ? queue.shift()! : queue[0]!;
      if ("drop" in next) {
        req.socket.destroy();
        return;
      }
      if ("hang" in next) return;
      res.writeHead(next.status ?? 200, { "Content-Type": next.contentType ?? "text/xml; charset=utf-8" });
      res.end(next.body);
    });
  });
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}/soap/merchant/cashregister-2`,
    requests,
    connections: () => connections,
    answer: (...answers) => {
      queue = [...answers];
    },
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A `<op>Response` envelope in the documented CXF style (soap:/ns2:). */
export function soapResponse(operation: string, returnXml: string): string {
  return (
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
    `<ns2:${operation}Response xmlns:ns2="http://external.interfaces.ers.seamless.com/"><return>${returnXml}</return>` +
    `</ns2:${operation}Response></soap:Body></soap:Envelope>`
  );
}

export const OK = "<resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription>";
