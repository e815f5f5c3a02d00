// POST /jsonPTS to the controller over HTTP or HTTPS, with Basic or Digest authentication and a
// configurable TLS trust (a CA file's PEM, or a certificate pin for the controller's self-signed
// certificate). Every failure is a PtsTransportError saying whether the controller may have run
// the request (`indefinite`): refused connections, TLS and authentication refusals are definite;
// a reset, a timeout, an HTTP error status or an unreadable body after the request was written
// are not. A 401 is answered (Digest) and the request sent again: the controller ran nothing.
import { request as httpRequest, Agent as HttpAgent, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import type { TLSSocket } from "node:tls";
import type { Scheduler } from "../../base/clock.ts";
import { type DigestChallenge, digestAuthorization, parseDigestChallenge } from "./digest.ts";
import { PtsTransportError } from "./errors.ts";

export type PtsAuth = { readonly scheme: "none" } | { readonly scheme: "basic" | "digest"; readonly user: string; readonly password: string };

export interface PtsTls {
  /** PEM of the CA (or the controller's own certificate) to trust instead of the system store. */
  readonly ca?: string;
  /** SHA-256 fingerprint of the controller's certificate ("AB:CD:…" or plain hex); replaces chain checks. */
  readonly pinSha256?: string;
  /** Accept any certificate. Only for a bench; logged loudly by the driver. */
  readonly insecure?: boolean;
}

export interface JsonPtsHttpOptions {
  readonly url: string;
  readonly auth: PtsAuth;
  readonly tls?: PtsTls;
  readonly timeoutMs: number;
  /** The vendor SDK closes the connection after each request; keep-alive is opt-in. */
  readonly keepAlive: boolean;
  readonly maxResponseBytes: number;
  readonly scheduler: Scheduler;
}

const normalizePin = (pin: string) => pin.replace(/[^0-9a-f]/gi, "").toUpperCase();

export class JsonPtsHttp {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(private readonly opts: JsonPtsHttpOptions) {
    this.url = new URL(opts.url);
    const https = this.url.protocol === "https:";
    const tls = opts.tls ?? {};
    // A pin replaces the chain check (the PTS-2 ships a self-signed certificate); it is verified
    // on every new connection before a byte of the request is written.
    const rejectUnauthorized = !(tls.insecure === true || tls.pinSha256 !== undefined);
    this.agent = https
      ? // No TLS session resumption when pinning: a resumed session carries no certificate to check.
        new HttpsAgent({ keepAlive: opts.keepAlive, maxSockets: 1, rejectUnauthorized, ...(tls.pinSha256 !== undefined ? { maxCachedSessions: 0 } : {}), ...(tls.ca ? { ca: tls.ca } : {}) })
      : new HttpAgent({ keepAlive: opts.keepAlive, maxSockets: 1 });
  }

  /** For logs: the URL without credentials. */
  get description(): string {
    return `${this.url.protocol}//${this.url.host}${this.url.pathname}`;
  }

  async post(body: string): Promise<string> {
    const auth = this.opts.auth;
    let answered401 = false;
    for (;;) {
      const header = this.authorization();
      const res = await this.once(body, header);
      if (res.status === 401 && auth.scheme === "digest") {
        const ch = parseDigestChallenge(res.wwwAuthenticate);
        // A new or stale nonce is answered once; the same nonce refused again means wrong credentials.
        if (ch && !answered401 && (ch.stale || header === undefined || ch.nonce !== this.challenge?.nonce)) {
          this.challenge = ch;
          this.nc = 0;
          answered401 = true;
          continue;
        }
      }
      if (res.status === 401 || res.status === 403) {
        this.challenge = undefined;
        throw new PtsTransportError("auth", false, `controller refused the credentials (HTTP ${res.status})`, { status: res.status, url: this.description });
      }
      if (res.status !== 200) throw new PtsTransportError("http-status", true, `controller answered HTTP ${res.status}`, { status: res.status, url: this.description });
      return res.body;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private authorization(): string | undefined {
    const auth = this.opts.auth;
    if (auth.scheme === "basic") return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, "utf8").toString("base64")}`;
    if (auth.scheme === "digest" && this.challenge) {
      return digestAuthorization(this.challenge, { method: "POST", uri: this.url.pathname + this.url.search, user: auth.user, password: auth.password, nc: ++this.nc });
    }
    return undefined;
  }

  private once(body: string, authorization: string | undefined): Promise<{ status: number; body: string; wwwAuthenticate: string | string[] | undefined }> {
    return new Promise((resolve, reject) => {
      const send = this.url.protocol === "https:" ? httpsRequest : httpRequest;
      const payload = Buffer.from(body, "utf8");
      let written = false; // past this point the controller may have run the request
      let settled = false;
      const fail = (kind: "refused" | "reset" | "timeout" | "unreadable", indefinite: boolean, message: string, cause?: unknown) => {
        if (settled) return;
        settled = true;
        cancelTimer();
        req.destroy();
        reject(new PtsTransportError(kind, indefinite, message, { url: this.description }, { cause }));
      };
      const req: ClientRequest = send(this.url, {
        method: "POST",
        agent: this.agent,
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "Content-Length": payload.length,
          Connection: this.opts.keepAlive ? "keep-alive" : "close",
          ...(authorization ? { Authorization: authorization } : {}),
        },
      });
      const cancelTimer = this.opts.scheduler.setTimer(this.opts.timeoutMs, () =>
        fail("timeout", written, `no answer from the controller within ${this.opts.timeoutMs} ms`),
      );
      req.on("socket", (socket) => {
        const pin = this.opts.tls?.pinSha256;
        const connected = () => {
          if (pin !== undefined) {
            const got = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
            if (!got || normalizePin(got) !== normalizePin(pin)) return fail("refused", false, `controller certificate ${got ?? "(none)"} does not match the configured pin`);
          }
          written = true;
          req.end(payload);
        };
        // A kept-alive socket is already connected (and was pinned when it was); a TLS socket is
        // ready only once its handshake gave the peer certificate.
        const https = this.url.protocol === "https:";
        const ready = https ? Object.keys((socket as TLSSocket).getPeerCertificate?.() ?? {}).length > 0 : !socket.connecting;
        if (ready) connected();
        else socket.once(https ? "secureConnect" : "connect", connected);
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (!written) return fail("refused", false, `cannot reach the controller at ${this.description}: ${err.code ?? err.message}`, err);
        fail("reset", true, `connection to the controller lost: ${err.code ?? err.message}`, err);
      });
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > this.opts.maxResponseBytes) return fail("unreadable", true, `controller answer exceeds ${this.opts.maxResponseBytes} bytes`);
          chunks.push(c);
        });
        res.on("error", (err) => fail("reset", true, `controller answer cut off: ${err.message}`, err));
        res.on("aborted", () => fail("reset", true, "controller answer cut off"));
        res.on("end", () => {
          if (settled) return;
          settled = true;
          cancelTimer();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), wwwAuthenticate: res.headers["www-authenticate"] });
        });
      });
    });
  }
}
