// Shared helpers for the simulator tests: a simulator on an ephemeral loopback port with a manual
// clock, raw SOAP envelopes, and a reader for the answers (parsed with the simulator's own
// namespace-aware parser, looking elements up by local name like a client would).
import { afterEach } from "vitest";
import { SimClock } from "../../simulator/clock.ts";
import { startGlaseSimulator, type RunningGlaseSimulator, type StartSimulatorOptions } from "../../simulator/glase/index.ts";
import { child, parseXml, type XmlElement } from "../../simulator/glase/xml.ts";

export const TERMINAL = { id: "0460000300002010", password: "2009" };
export const SHOP = { id: "reseller", userId: "9900", password: "2009" };
export const NS = "http://external.interfaces.ers.seamless.com/";

const running: RunningGlaseSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

export interface TestSim {
  readonly r: RunningGlaseSimulator;
  readonly clock: SimClock;
  /** Raw SOAP call of `op` with the given inner XML of the wrapper element. */
  call(op: string, inner: string, path?: string): Promise<Reply>;
  post(body: string, path?: string): Promise<Reply>;
  control(path: string, body?: unknown, method?: string): Promise<{ status: number; json: any }>;
  /** sendInvoice on the default terminal; returns the invoiceReference (asserts success). */
  invoice(opts?: InvoiceOpts, terminal?: { id: string; password: string }): Promise<string>;
  status(ref: string, version?: number, terminal?: { id: string; password: string }): Promise<Reply>;
}

/** Starts a simulator with a manual clock (tests drive time, never sleep); closed after each test. */
export async function startSim(opts: StartSimulatorOptions = {}): Promise<TestSim> {
  const clock = opts.clock ?? new SimClock({ manual: true, start: Date.UTC(2024, 2, 15, 10, 0, 0) });
  const r = await startGlaseSimulator({ ...opts, clock });
  running.push(r);
  const post = async (body: string, path = "/soap/merchant/cashregister-2") => {
    const res = await fetch(r.url + path, { method: "POST", body, headers: { "Content-Type": "text/xml; charset=UTF-8", SOAPAction: '""' } });
    return new Reply(res.status, await res.text());
  };
  const sim: TestSim = {
    r,
    clock,
    post,
    call: (op, inner, path) => post(envelope(op, inner), path),
    async control(path, body, method = body === undefined ? "GET" : "POST") {
      const res = await fetch(r.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, json: await res.json() };
    },
    async invoice(opts = {}, terminal = TERMINAL) {
      const reply = await sim.call("sendInvoice", termCtx(terminal.id, terminal.password) + invoiceXml(opts));
      if (reply.code !== 0) throw new Error(`sendInvoice answered ${reply.code}: ${reply.text}`);
      return reply.get("invoiceReference")!;
    },
    status: (ref, version = 0, terminal = TERMINAL) =>
      sim.call("getPaymentStatus", termCtx(terminal.id, terminal.password) + `<invoiceReference>${ref}</invoiceReference><invoiceVersion>${version}</invoiceVersion>`),
  };
  return sim;
}

export class Reply {
  readonly ret: XmlElement | undefined;
  readonly root: XmlElement | undefined;
  constructor(
    readonly httpStatus: number,
    readonly text: string,
  ) {
    try {
      this.root = parseXml(text);
      const body = child(this.root, "Body");
      this.ret = child(body?.children[0], "return");
    } catch {
      this.root = undefined;
    }
  }
  /** resultCode of the `return`; NaN when there is none (faults). */
  get code(): number {
    return Number(this.get("resultCode") ?? NaN);
  }
  get(name: string): string | undefined {
    return child(this.ret, name)?.text;
  }
  get faultcode(): string | undefined {
    return child(child(child(this.root, "Body"), "Fault"), "faultcode")?.text;
  }
  get faultstring(): string | undefined {
    return child(child(child(this.root, "Body"), "Fault"), "faultstring")?.text;
  }
}

export function envelope(op: string, inner: string): string {
  return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="${NS}"><soapenv:Header/><soapenv:Body><ext:${op}>${inner}</ext:${op}></soapenv:Body></soapenv:Envelope>`;
}

export function termCtx(id = TERMINAL.id, password = TERMINAL.password): string {
  return `<context><channel>WS</channel><clientId>test</clientId><clientReference>t-1</clientReference><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>${id}</id><type>TERMINALID</type></initiatorPrincipalId><password>${password}</password></context>`;
}

/** userId null = leave it out. */
export function shopCtx(id = SHOP.id, userId: string | null = SHOP.userId, password = SHOP.password): string {
  return `<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>${id}</id><type>RESELLERUSER</type>${userId === null ? "" : `<userId>${userId}</userId>`}</initiatorPrincipalId><password>${password}</password></context>`;
}

export interface InvoiceOpts {
  total?: string;
  currency?: string;
  mode?: string;
  ack?: string | null;
  rows?: string[];
  timeout?: number;
  cashierId?: string;
  notificationUrl?: string;
  extra?: string;
}

export function amount(name: string, value: string, currency = "SEK"): string {
  return `<${name}><currency>${currency}</currency><value>${value}</value></${name}>`;
}

/** `<invoice>` with sensible defaults (POS payment, no acknowledgement). */
export function invoiceXml(o: InvoiceOpts = {}): string {
  const rows = o.rows ? `<invoiceRows>${o.rows.map((v) => `<invoiceRow><itemQuantity>1</itemQuantity>${amount("itemTotalAmount", v, o.currency)}</invoiceRow>`).join("")}</invoiceRows>` : "";
  return (
    `<invoice><paymentMode>${o.mode ?? "IMMEDIATE_DEBIT"}</paymentMode>` +
    (o.ack === null ? "" : `<acknowledgmentMode>${o.ack ?? "NO_ACKNOWLEDGMENT"}</acknowledgmentMode>`) +
    `<issueDate>2024-03-15T10:15:20</issueDate><title>Test</title>${rows}${amount("totalAmount", o.total ?? "100.00", o.currency)}` +
    (o.cashierId ? `<cashierId>${o.cashierId}</cashierId>` : "") +
    (o.notificationUrl ? `<notificationUrl>${o.notificationUrl}</notificationUrl>` : "") +
    (o.timeout !== undefined ? `<commitReservationTimeout>${o.timeout}</commitReservationTimeout>` : "") +
    (o.extra ?? "") +
    `</invoice>`
  );
}
