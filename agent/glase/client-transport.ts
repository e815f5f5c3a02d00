// HTTP transport under the soap client: node:http(s) with a keep-alive agent instead of soap's
// default axios HttpClient. Two reasons:
//  1. The payment flows must know whether a failed request may have reached Glase (contract
//     §6.15). That hinges on one fact — had the connection been established when it failed? —
//     which node:http exposes directly (socket `connect`) and axios hides.
//  2. Latency: axios adds its adapter/interceptor machinery to every call; a plain keep-alive
//     request keeps the client within the `npm run bench:soap` budget.
// soap calls `request(url, xml, callback, headers, options)`; the per-call timeout and AbortSignal
// travel in `options.wire` (the third argument of a soap method call).
import http from "node:http";
import https from "node:https";
import { TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type { TransportFailureKind } from "./errors.ts";

export interface WireCallOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Why a request produced no usable HTTP answer; turned into a TransportError by the client. */
export class WireFailure extends Error {
  readonly kind: TransportFailureKind;
  readonly indefinite: boolean;
  readonly status: number | undefined;

  constructor(kind: TransportFailureKind, indefinite: boolean, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WireFailure";
    this.kind = kind;
    this.indefinite = indefinite;
    this.status = options?.status;
  }
}

/** The shape of soap's response object that soap's Client reads (status/headers/data/config). */
interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  data: string;
  config: { headers: Record<string, unknown> };
}

type SoapCallback = (error: unknown, response?: WireResponse, body?: string) => void;

export interface KeepAliveHttpClientOptions {
  /**
   * Parallel connections (default: no limit). A limit is a queue: calls hanging on some terminals
   * would hold every socket while another terminal's poll waits for one — and a PAID must be read
   * within 20 s. Without a limit no call ever waits for another; the pool holds as many sockets
   * as calls run at once (every flow has at most one call in flight, plus a receipt).
   */
  readonly maxSockets?: number;
  /**
   * Idle keep-alive sockets are closed after this many ms (Node also honours a shorter
   * `Keep-Alive: timeout=` hint from the server). Re-using a socket the server is about to
   * close produces a reset that we would have to report as indefinite, so stay below
   * common server idle timeouts (Node 5 s, Tomcat 20 s).
   */
  readonly idleSocketMs?: number;
}

/** Implements soap's IHttpClient contract (soap/lib/types.d.ts) over node:http(s). */
export class KeepAliveHttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  // The endpoint never changes: parse it once, not on every call.
  private readonly targets = new Map<string, RequestTarget>();

  constructor(options: KeepAliveHttpClientOptions = {}) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? Infinity, timeout: options.idleSocketMs ?? 4000 };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  request(
    rurl: string,
    data: string,
    callback: SoapCallback,
    exheaders?: Record<string, unknown>,
    exoptions?: { wire?: WireCallOptions },
  ): undefined {
    const wire = exoptions?.wire;
    if (!wire) {
      // Only GlaseClient drives this client and it always passes `wire`; soap itself would call
      // without it only to fetch a WSDL, which we never let it do.
      callback(new WireFailure("refused", false, "internal: request without wire options"));
      return undefined;
    }
    let target = this.targets.get(rurl);
    if (!target) {
      try {
        target = this.target(rurl);
      } catch (err) {
        callback(new WireFailure("refused", false, `bad endpoint URL: ${(err as Error).message}`, { cause: err }));
        return undefined;
      }
      this.targets.set(rurl, target);
    }
    performRequest(target, data, exheaders ?? {}, wire, callback);
    return undefined;
  }

  private target(rurl: string): RequestTarget {
    const url = new URL(rurl);
    const secure = url.protocol === "https:";
    return {
      request: secure ? https.request : http.request,
      options: {
        protocol: url.protocol,
        hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: "POST",
        agent: secure ? this.httpsAgent : this.httpAgent,
      },
    };
  }

  /** Closes idle keep-alive sockets (daemon shutdown, end of a test). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Far above any Glase answer (reports are the largest); a bound so a broken peer cannot exhaust memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

interface RequestTarget {
  readonly request: typeof http.request;
  readonly options: http.RequestOptions;
}

// Errors raised before the connection exists: nothing was sent, so the failure is definite.
function preConnectMessage(err: NodeJS.ErrnoException): string {
  return err.code ? `${err.code} ${err.message}` : err.message;
}

function performRequest(target: RequestTarget, data: string, headers: Record<string, unknown>, wire: WireCallOptions, callback: SoapCallback): void {
  if (wire.signal?.aborted) {
    // Checked before the agent is asked for a socket: not even a connection is opened.
    callback(new WireFailure("aborted", false, "aborted before the request was sent", { cause: wire.signal.reason }));
    return;
  }
  const body = Buffer.from(data, "utf8");
  let connected = false; // once true, (part of) the request may have reached the server
  let settled = false;
  let timer: NodeJS.Timeout | undefined;

  const requestHeaders: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) requestHeaders[k] = v as string;
  requestHeaders["Content-Length"] = body.length;

  const settle = (error: WireFailure | null, response?: WireResponse): void => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    wire.signal?.removeEventListener("abort", onAbort);
    if (error) callback(error);
    else callback(null, response, response?.data);
  };

  let req: http.ClientRequest;
  try {
    req = target.request({ ...target.options, headers: requestHeaders });
  } catch (err) {
    // Invalid URL/headers: thrown synchronously, nothing left the process.
    settle(new WireFailure("refused", false, `cannot build request: ${(err as Error).message}`, { cause: err }));
    return;
  }

  const fail = (kind: TransportFailureKind, message: string, cause?: unknown): void => {
    if (settled) return;
    settle(new WireFailure(kind, connected, message, { cause }));
    req.destroy();
  };

  function onAbort(): void {
    fail("aborted", connected ? "aborted after the request was sent" : "aborted before the request was sent", wire.signal?.reason);
  }

  req.on("socket", (socket: Socket) => {
    if (!socket.connecting) {
      connected = true; // re-used keep-alive socket: the request is written at once
      return;
    }
    socket.once(socket instanceof TLSSocket ? "secureConnect" : "connect", () => {
      connected = true;
    });
  });

  req.on("error", (err: NodeJS.ErrnoException) => {
    if (settled) return;
    if (!connected) fail("refused", preConnectMessage(err), err);
    else fail("reset", `${err.code ?? "connection error"} after the request was sent: ${err.message}`, err);
  });

  req.on("response", (res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) fail("unparsable", `response larger than ${MAX_RESPONSE_BYTES} bytes`);
      else chunks.push(chunk);
    });
    res.on("error", (err) => fail("reset", `response interrupted: ${err.message}`, err));
    res.on("close", () => {
      if (!res.complete) fail("reset", "connection closed before the response was complete");
    });
    res.on("end", () => {
      if (settled) return;
      const text = Buffer.concat(chunks).toString("utf8");
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        // 5xx (incl. a SOAP Fault) and 408: the server had the request and may have acted on it.
        // Other 4xx: the server refused the request before processing it (wrong path, bad method).
        const indefinite = status >= 500 || status === 408;
        const fault = /<(?:\w+:)?faultstring[^>]*>([^<]*)</.exec(text)?.[1];
        settle(new WireFailure("http-status", indefinite, `HTTP ${status}${fault ? `: ${fault}` : ""}`, { status }));
        return;
      }
      settle(null, { status, headers: res.headers, data: text, config: { headers: requestHeaders } });
    });
  });

  timer = setTimeout(() => fail("timeout", `no answer within ${wire.timeoutMs} ms`), wire.timeoutMs);
  wire.signal?.addEventListener("abort", onAbort, { once: true });
  req.end(body);
}
