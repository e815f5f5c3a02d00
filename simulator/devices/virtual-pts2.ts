// The virtual Technotrade PTS-2: a jsonPTS web server (POST /jsonPTS, HTTP or HTTPS, Basic or
// Digest authentication as the controller's users are configured) in front of VirtualPumps, with
// the controller's upload of status to a remote server, power cuts and the faults the driver must
// survive, on demand. Tests and `npm start`-style stations talk to it with the real driver over
// loopback; scripting the forecourt (nozzles, metering, offline pumps) is direct method calls.
import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { readLimitedBody, requestPathname } from "../../base/io/http-body.ts";
import type { Scheduler } from "../../base/clock.ts";
import { SimClock } from "../clock.ts";
import { type AutoCustomer, type FlowOptions, VirtualFlow } from "./virtual-pts2-flow.ts";
import { type Outcome, VERR, type VirtualGrade, type VirtualPumpConfig, VirtualPumps, stamp } from "./virtual-pts2-pumps.ts";

export type VirtualPts2Auth =
  | { readonly scheme: "none" }
  | { readonly scheme: "basic" | "digest"; readonly user: string; readonly password: string; /** false: a user without pump-control permission. */ readonly control?: boolean };

export interface VirtualPts2Options extends FlowOptions {
  readonly scheduler?: Scheduler;
  readonly grades?: readonly VirtualGrade[];
  /** n = pumps 1..n with one nozzle per grade; or each pump's nozzles. */
  readonly pumps?: number | readonly VirtualPumpConfig[];
  readonly auth?: VirtualPts2Auth;
  /** HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly firmware?: string;
  /** The controller user id of the HTTP user (reported as UserId of its authorizations; default 1). */
  readonly userId?: number;
  /** Decimals of prices (default 2, cents); money always has 2. 3 = 1.759 EUR/L. */
  readonly priceDigits?: number;
  /** A power cut wipes the transaction records (see VirtualPumps.forgetOnPowerCut). */
  readonly forgetOnPowerCut?: boolean;
  /** With forgetOnPowerCut, the counters restart at 1 too (default: they keep counting, as a real controller's; see VirtualPumps.numberFromOneAfterPowerCut). */
  readonly numberFromOneAfterPowerCut?: boolean;
  /** The stricter PumpAuthorize of some firmwares (see VirtualPumps.strictAuthorize; default false). */
  readonly strictAuthorize?: boolean;
  /** Firmware that ignores PumpAuthorize.Transaction and numbers from its own counter, starting here (see VirtualPumps.renumberFrom). */
  readonly renumberFrom?: number;
  /** Keep connections open between requests (the vendor's SDK closes them; default false). */
  readonly keepAlive?: boolean;
  /** Upload of status to a remote server (the controller's "remote server" settings). */
  readonly upload?: { readonly url: string; readonly user?: string; readonly password?: string };
}

/** A fault hits the next request carrying a packet of `packetType` (any request when omitted). */
export type VirtualPts2Fault = { readonly packetType?: string } & (
  /** The request runs, then the connection is cut unanswered. */
  | { readonly type: "drop-answer" }
  /** The connection is cut before the request runs. */
  | { readonly type: "drop-request" }
  /** The answer is not JSON / has this HTTP status (nothing run) / names another protocol. */
  | { readonly type: "garbage" }
  | { readonly type: "http-status"; readonly status: number }
  | { readonly type: "wrong-protocol" }
  /** The answer's packet Ids are shifted / it has an extra packet / lacks its last packet / its first packet has a wrong Type / negative and non-numeric figures. */
  | { readonly type: "wrong-id" }
  | { readonly type: "extra-packet" }
  | { readonly type: "missing-packet" }
  | { readonly type: "wrong-type" }
  | { readonly type: "bad-number" }
  /** Every answer waits this long (0 clears). */
  | { readonly type: "slow"; readonly ms: number }
);

export const DEFAULT_PTS_GRADES: readonly VirtualGrade[] = [
  { id: 1, name: "Blyfri 95", priceMinor: 1899 },
  { id: 2, name: "Diesel", priceMinor: 2049 },
];

const CONTROL = new Set(["PumpAuthorize", "PumpStop", "PumpEmergencyStop", "PumpCloseTransaction"]);
const REALM = "Pts2WebServer";
/** Packets and batches kept for assertions (a long-running simulated station must not grow). */
const KEEP = 10_000;
const md5 = (s: string) => createHash("md5").update(s).digest("hex");

export class VirtualPts2 {
  readonly scheduler: Scheduler;
  readonly pumps: VirtualPumps;
  readonly flow: VirtualFlow;
  /** Every packet received, in order (assertions). */
  readonly received: Array<{ readonly Id: unknown; readonly Type: unknown; readonly Data: Record<string, unknown> }> = [];
  readonly counters = { requests: 0, unauthorized: 0, uploads: 0, uploadFailures: 0 };
  /** The packet types of each request, in order (assertions on batching). */
  readonly batches: string[][] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private host = "127.0.0.1";
  private faults: VirtualPts2Fault[] = [];
  private slowMs = 0;
  private nonces = new Map<string, number>();
  private uploadPending = false;
  private powered = true;

  constructor(private readonly options: VirtualPts2Options = {}) {
    this.scheduler = options.scheduler ?? new SimClock();
    const grades = options.grades ?? DEFAULT_PTS_GRADES;
    const pumps = options.pumps ?? 2;
    const configs = typeof pumps === "number" ? Array.from({ length: pumps }, (_, i) => ({ pump: i + 1, nozzles: grades.map((g) => g.id) })) : pumps;
    this.pumps = new VirtualPumps(grades, configs, () => this.scheduler.now(), options.priceDigits ?? 2);
    this.pumps.forgetOnPowerCut = options.forgetOnPowerCut === true;
    this.pumps.numberFromOneAfterPowerCut = options.numberFromOneAfterPowerCut === true;
    this.pumps.strictAuthorize = options.strictAuthorize === true;
    this.pumps.renumberFrom = options.renumberFrom;
    this.flow = new VirtualFlow(this.pumps, this.scheduler, options);
    if (options.upload) this.pumps.onChange(() => this.scheduleUpload());
  }

  // ---- reachability ----------------------------------------------------------------------------

  async listen(port = 0, host = "127.0.0.1"): Promise<number> {
    this.host = host;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.options.tls ? createHttpsServer({ key: this.options.tls.key, cert: this.options.tls.cert }, handler) : createHttpServer(handler);
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => (server.off("error", reject), resolve()));
    });
    this.server = server;
    const addr = server.address();
    this.port = typeof addr === "object" && addr ? addr.port : port;
    return this.port;
  }

  get url(): string {
    return `${this.options.tls ? "https" : "http"}://${this.host}:${this.port}/jsonPTS`;
  }

  /** Power cut: the web server vanishes mid-whatever; running fills end where they are. */
  async powerCut(): Promise<void> {
    this.powered = false;
    this.pumps.powerCut();
    this.nonces.clear(); // a rebooted controller knows none of the old nonces
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Power back: the controller listens again on the same port. */
  async powerOn(): Promise<void> {
    this.powered = true;
    if (!this.server) await this.listen(this.port, this.host);
  }

  async close(): Promise<void> {
    this.flow.dispose();
    await this.powerCut();
  }

  // ---- the forecourt ---------------------------------------------------------------------------

  liftNozzle(pump: number, nozzle = 1): void {
    this.pumps.liftNozzle(pump, nozzle);
  }
  hangUp(pump: number): void {
    this.pumps.hangUp(pump);
  }
  deliver(pump: number, milli: number): number {
    return this.pumps.deliver(pump, milli);
  }
  setOffline(pump: number, offline: boolean): void {
    const p = this.pumps.pumps.get(pump);
    if (p) p.offline = offline;
  }
  setPrice(fuelGradeId: number, priceMinor: number): void {
    const g = this.pumps.grades.get(fuelGradeId);
    if (g) g.priceMinor = priceMinor;
  }
  ignoreStop(pump: number, on: boolean): void {
    const p = this.pumps.pumps.get(pump);
    if (p) p.ignoreStop = on;
  }
  setAutoCustomer(auto: AutoCustomer | undefined): void {
    this.flow.setAutoCustomer(auto);
  }
  inject(fault: VirtualPts2Fault): void {
    if (fault.type === "slow") this.slowMs = fault.ms;
    else this.faults.push(fault);
  }

  // ---- the wire --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!this.powered) return void req.socket.destroy();
    const reply = (status: number, text: string) => send(res, status, text, this.options.keepAlive === true);
    if (req.method !== "POST" || requestPathname(req) !== "/jsonPTS") return reply(404, "");
    const user = this.authenticate(req, res, reply);
    if (user === undefined) return;
    this.counters.requests++;
    let parsed: { Protocol?: unknown; Packets?: unknown };
    try {
      parsed = JSON.parse(body);
    } catch {
      return reply(200, JSON.stringify({ Protocol: "jsonPTS", Packets: [{ Id: 0, Error: true, Code: VERR.INVALID_JSON, Message: "INVALID_JSON_REQUEST" }] }));
    }
    const packets = Array.isArray(parsed.Packets) ? (parsed.Packets as Array<Record<string, unknown>>) : [];
    if (parsed.Protocol !== "jsonPTS" || packets.length === 0) {
      return reply(200, JSON.stringify({ Protocol: "jsonPTS", Packets: [{ Id: 0, Error: true, Code: VERR.INVALID_JSON, Message: "INVALID_JSON_REQUEST" }] }));
    }
    this.batches.push(packets.map((p) => String(p.Type)));
    if (this.batches.length > KEEP) this.batches.splice(0, this.batches.length - KEEP);
    if (this.received.length > KEEP) this.received.splice(0, this.received.length - KEEP);
    const fault = this.takeFault(packets);
    if (fault?.type === "drop-request") return void req.socket.destroy();
    if (fault?.type === "http-status") return reply(fault.status, "internal error");
    const answers = packets.map((p) => {
      this.received.push({ Id: p.Id, Type: p.Type, Data: (p.Data ?? {}) as Record<string, unknown> });
      return this.answer(p, user.control);
    });
    if (fault?.type === "drop-answer") return void req.socket.destroy();
    if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
    reply(200, this.corrupt(fault, answers));
  }

  private answer(p: Record<string, unknown>, control: boolean): Record<string, unknown> {
    const type = typeof p.Type === "string" ? p.Type : "";
    const data = (typeof p.Data === "object" && p.Data !== null ? p.Data : {}) as Record<string, unknown>;
    const ok = (answerType: string, d: Record<string, unknown>) => ({ Id: p.Id, Type: answerType, Data: d });
    const confirm = (o: Outcome) => (o.ok ? { Id: p.Id, Type: type, Message: "OK" } : err(o.code));
    const err = (code: number) => ({ Id: p.Id, Type: type, Error: true, Code: code, Message: `JSONPTS_ERROR_${code}` });
    if (CONTROL.has(type) && !control) return err(VERR.NO_PERMISSIONS);
    switch (type) {
      case "PumpGetStatus": {
        const found = this.pumps.pump(data.Pump);
        if (!found.ok) return err(found.code);
        const s = this.pumps.statusOf(found.data);
        return ok(s.Type, s.Data);
      }
      case "PumpAuthorize": {
        this.pumps.requestUser = this.options.userId ?? 1;
        let o: Outcome;
        try {
          o = this.pumps.authorize(data);
        } finally {
          this.pumps.requestUser = undefined;
        }
        if (o.ok) this.flow.onAuthorized(o.data.Pump as number, typeof data.Nozzle === "number" ? data.Nozzle : 0);
        return o.ok ? ok("PumpAuthorizeConfirmation", o.data) : err(o.code);
      }
      case "PumpStop":
        return confirm(this.pumps.stop(data.Pump, false));
      case "PumpEmergencyStop":
        return confirm(this.pumps.stop(data.Pump, true));
      case "PumpCloseTransaction":
        return confirm(this.pumps.closeTransaction(data));
      case "PumpGetTransactionInformation": {
        const o = this.pumps.transactionInfo(data);
        return o.ok ? ok("PumpTransactionInformation", o.data) : err(o.code);
      }
      case "GetFuelGradesConfiguration":
        return ok("FuelGradesConfiguration", { FuelGrades: [...this.pumps.grades.values()].map((g) => ({ Id: g.id, Name: g.name, Price: g.priceMinor / 10 ** this.pumps.priceDigits, ExpansionCoefficient: 0.00095 })) });
      case "GetPumpNozzlesConfiguration":
        return ok("PumpNozzlesConfiguration", { PumpNozzles: [...this.pumps.pumps.values()].map((pp) => ({ PumpId: pp.id, FuelGradeIds: pp.nozzles, TankIds: pp.nozzles.map(() => 0) })) });
      case "GetFirmwareInformation":
        return ok("FirmwareInformation", { DateTime: this.options.firmware ?? "2024-10-30T12:00:00", PumpProtocols: [1, 2, 3], ProbeProtocols: [], PriceBoardProtocols: [], ReaderProtocols: [] });
      case "GetDateTime":
        return ok("DateTime", { DateTime: stamp(this.scheduler.now()), AutoSynchronize: false, UTCOffset: 0 });
      default:
        return err(VERR.NOT_FOUND);
    }
  }

  private takeFault(packets: Array<Record<string, unknown>>): VirtualPts2Fault | undefined {
    const i = this.faults.findIndex((f) => f.packetType === undefined || packets.some((p) => p.Type === f.packetType));
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  private corrupt(fault: VirtualPts2Fault | undefined, answers: Array<Record<string, unknown>>): string {
    switch (fault?.type) {
      case "garbage":
        return "<html>Internal error</html>";
      case "wrong-protocol":
        return JSON.stringify({ Protocol: "jsonXYZ", Packets: answers });
      case "wrong-id":
        return JSON.stringify({ Protocol: "jsonPTS", Packets: answers.map((a) => ({ ...a, Id: (a.Id as number) + 1000 })) });
      case "extra-packet":
        return JSON.stringify({ Protocol: "jsonPTS", Packets: [...answers, { Id: 999_999, Type: "PumpIdleStatus", Data: { Pump: 1 } }] });
      case "missing-packet":
        return JSON.stringify({ Protocol: "jsonPTS", Packets: answers.slice(0, -1) });
      case "wrong-type":
        return JSON.stringify({ Protocol: "jsonPTS", Packets: answers.map((a, i) => (i === 0 ? { ...a, Type: "BogusAnswer" } : a)) });
      case "bad-number":
        return JSON.stringify({ Protocol: "jsonPTS", Packets: answers.map((a) => (a.Data && typeof a.Data === "object" ? { ...a, Data: { ...(a.Data as object), Volume: -1, Amount: "lots", Nozzle: -3, NozzleUp: -3 } } : a)) });
      default:
        return JSON.stringify({ Protocol: "jsonPTS", Packets: answers });
    }
  }

  /** The user the request authenticates as, or undefined after answering 401. */
  private authenticate(req: IncomingMessage, res: ServerResponse, reply: (status: number, text: string) => void): { control: boolean } | undefined {
    const auth = this.options.auth ?? { scheme: "none" };
    if (auth.scheme === "none") return { control: true };
    const header = req.headers.authorization ?? "";
    const control = auth.control ?? true;
    if (auth.scheme === "basic") {
      const given = /^Basic (.+)$/.exec(header)?.[1];
      if (given && Buffer.from(given, "base64").toString("utf8") === `${auth.user}:${auth.password}`) return { control };
      this.counters.unauthorized++;
      res.setHeader("WWW-Authenticate", `Basic realm="${REALM}"`);
      return void reply(401, "");
    }
    const f = Object.fromEntries([...header.matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
    let stale = false;
    if (header.startsWith("Digest ") && f.username === auth.user && f.realm === REALM) {
      const last = this.nonces.get(f.nonce ?? "");
      const nc = parseInt(f.nc ?? "", 16);
      const ha1 = md5(`${auth.user}:${REALM}:${auth.password}`);
      const ha2 = md5(`${req.method}:${f.uri}`);
      const expected = md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${ha2}`);
      if (f.response === expected && f.qop === "auth") {
        if (last === undefined) stale = true; // a good answer to a nonce we no longer know
        else if (nc > last) {
          this.nonces.set(f.nonce!, nc);
          return { control };
        }
      }
    }
    this.counters.unauthorized++;
    const nonce = randomBytes(12).toString("hex");
    this.nonces.set(nonce, 0);
    res.setHeader("WWW-Authenticate", `Digest realm="${REALM}", qop="auth", nonce="${nonce}", algorithm=MD5${stale ? ", stale=true" : ""}`);
    return void reply(401, "");
  }

  // ---- upload to the remote server -------------------------------------------------------------

  private scheduleUpload(): void {
    if (this.uploadPending || !this.powered) return;
    this.uploadPending = true;
    setImmediate(() => {
      this.uploadPending = false;
      this.upload();
    });
  }

  private upload(): void {
    const u = this.options.upload!;
    const body = JSON.stringify({
      Protocol: "jsonPTS",
      PtsId: "VIRTUAL-PTS2",
      Packets: [{ Id: 1, Type: "UploadStatus", Data: { DateTime: stamp(this.scheduler.now()), Pumps: [...this.pumps.pumps.values()].map((p) => ({ Pump: p.id, ...this.pumps.statusOf(p) })) } }],
    });
    const req = httpRequest(u.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        ...(u.user !== undefined ? { Authorization: `Basic ${Buffer.from(`${u.user}:${u.password ?? ""}`).toString("base64")}` } : {}),
      },
    });
    req.on("response", (res) => {
      res.resume();
      if (res.statusCode === 200) this.counters.uploads++;
      else this.counters.uploadFailures++;
    });
    req.on("error", () => this.counters.uploadFailures++);
    req.end(body);
  }
}

/** The body as text; past 1 MiB (or broken off) it is "", which the controller answers as invalid JSON. */
async function readBody(req: IncomingMessage): Promise<string> {
  const read = await readLimitedBody(req, 1024 * 1024);
  return read.ok ? read.body.toString("utf8") : "";
}

function send(res: ServerResponse, status: number, body: string, keepAlive: boolean): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), ...(keepAlive ? {} : { Connection: "close" }) });
  res.end(body);
}
