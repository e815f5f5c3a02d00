// GlaseClient: the typed Glase merchant API (contract §2/§3) on top of the `soap` package.
// Every call: build the context (fresh or caller-journaled clientReference) → encode the body in
// wire order → soap serialises and posts it over a keep-alive node:http transport → decode by
// local name. Outcomes: a typed response (resultCode 0), a GlaseError (any other resultCode), or
// a TransportError whose `indefinite` says whether the request may have reached Glase.
import type { Client } from "soap";
import { AgentError } from "../../base/errors.ts";
import type { Money } from "../../base/money.ts";
import { createLogger, type Logger } from "../../base/log.ts";
import { GlaseError } from "./errors.ts";
import { classifyResult } from "../../contracts/glase/result-codes.ts";
import { buildContext, resolveClientReference, type ContextSettings, type WireContext } from "./client-context.ts";
import { encode } from "./client-encode.ts";
import { decode, decodeBase, UnreadableResponse } from "./client-decode.ts";
import { toTransportError } from "./client-failure.ts";
import { createSoapClient, invokeSoap } from "./client-soap.ts";
import { KeepAliveHttpClient } from "./client-transport.ts";
import type {
  CallOptions,
  CustomerToken,
  ExecuteReportResponse,
  GlaseApi,
  GlaseResponse,
  Invoice,
  MarkTransactionPeriodResponse,
  MerchantOperation,
  PaymentStatusResponse,
  Principal,
  ReceiptDocument,
  RegisterTerminalResponse,
  ResellerCredentials,
  SendInvoiceResponse,
  TerminalCredentials,
} from "../../contracts/glase/types.ts";

export interface GlaseClientConfig {
  /** Absolute URL of the SOAP endpoint, e.g. `https://glase.example/soap/merchant/cashregister-2`. */
  readonly endpoint: string;
  /** `context/clientId`: the client software (and company) name. */
  readonly clientId: string;
  /** `context/channel`, default `WS`. */
  readonly channel?: string;
  /** `context/clientComment`, e.g. the till name. */
  readonly clientComment?: string;
  /** Default per-call timeout (ms); CallOptions.timeoutMs overrides it. */
  readonly timeoutMs: number;
  readonly logger?: Logger;
  /** Parallel keep-alive connections to Glase (default: no limit, see KeepAliveHttpClientOptions). */
  readonly maxSockets?: number;
}

/** Every successful result carries the clientReference it was sent with, for troubleshooting. */
export type Referenced<T> = T & { readonly clientReference: string };

// Polled once per second per open invoice: logged at debug so the log stays readable.
const QUIET_OPERATIONS: ReadonlySet<MerchantOperation> = new Set(["getPaymentStatus", "benchmarkingNop"]);

function terminalPrincipal(t: TerminalCredentials): Principal {
  return { type: "TERMINALID", terminalId: t.terminalId, password: t.password };
}

function resellerPrincipal(r: ResellerCredentials): Principal {
  return { type: "RESELLERUSER", resellerId: r.resellerId, userId: r.userId, password: r.password };
}

function validateConfig(config: GlaseClientConfig): void {
  let url: URL;
  try {
    url = new URL(config.endpoint);
  } catch {
    throw new AgentError("CONFIG_INVALID", `Glase endpoint is not a URL: ${JSON.stringify(config.endpoint)}`, { endpoint: config.endpoint });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AgentError("CONFIG_INVALID", `Glase endpoint must be http(s), got ${url.protocol}`, { endpoint: config.endpoint });
  }
  if (!Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0) {
    throw new AgentError("CONFIG_INVALID", `Glase timeoutMs must be > 0, got ${config.timeoutMs}`, { timeoutMs: config.timeoutMs });
  }
  if (config.clientId.trim() === "") {
    throw new AgentError("CONFIG_INVALID", "Glase clientId must not be empty", {});
  }
}

export class GlaseClient implements GlaseApi {
  readonly endpoint: string;
  private readonly settings: ContextSettings;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly http: KeepAliveHttpClient;
  private readonly soapClient: Promise<Client>;
  private loaded: Client | undefined; // set once the WSDL is parsed: calls then skip the await

  /** Starts building the soap client at once; calls wait for it. See also `GlaseClient.create`. */
  constructor(config: GlaseClientConfig) {
    validateConfig(config);
    this.endpoint = config.endpoint;
    this.settings = {
      clientId: config.clientId,
      channel: config.channel ?? "WS",
      ...(config.clientComment !== undefined ? { clientComment: config.clientComment } : {}),
    };
    this.timeoutMs = config.timeoutMs;
    this.log = config.logger ?? createLogger("glase.client");
    this.http = new KeepAliveHttpClient(config.maxSockets !== undefined ? { maxSockets: config.maxSockets } : {});
    this.soapClient = createSoapClient(config.endpoint, this.http);
    // A failed build is reported by the first call (and by create()); never as an unhandled rejection.
    this.soapClient.then((c) => (this.loaded = c)).catch(() => undefined);
  }

  /** Builds the client and waits until its WSDL is loaded, so configuration errors surface here. */
  static async create(config: GlaseClientConfig): Promise<GlaseClient> {
    const client = new GlaseClient(config);
    await client.ready();
    return client;
  }

  async ready(): Promise<void> {
    try {
      await this.soapClient;
    } catch (err) {
      throw new AgentError("INTERNAL", `cannot load the Glase WSDL: ${(err as Error).message}`, { endpoint: this.endpoint }, { cause: err });
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.http.close();
  }

  registerTerminal(
    shop: ResellerCredentials,
    externalTerminalId: string,
    password: string,
    name: string,
    opts?: CallOptions,
  ): Promise<Referenced<RegisterTerminalResponse>> {
    return this.call("registerTerminal", opts, (ref) => encode.registerTerminal(this.context(resellerPrincipal(shop), ref), externalTerminalId, password, name), decode.registerTerminal);
  }

  assignSeqrId(terminal: TerminalCredentials, seqrId: string, opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("assignSeqrId", opts, (ref) => encode.assignSeqrId(this.context(terminalPrincipal(terminal), ref), seqrId), decode.plain);
  }

  unregisterTerminal(terminal: TerminalCredentials, opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("unregisterTerminal", opts, (ref) => encode.unregisterTerminal(this.context(terminalPrincipal(terminal), ref)), decode.plain);
  }

  sendInvoice(terminal: TerminalCredentials, invoice: Invoice, tokens?: readonly CustomerToken[], opts?: CallOptions): Promise<Referenced<SendInvoiceResponse>> {
    return this.call("sendInvoice", opts, (ref) => encode.sendInvoice(this.context(terminalPrincipal(terminal), ref), invoice, tokens), decode.sendInvoice);
  }

  getPaymentStatus(
    terminal: TerminalCredentials,
    invoiceReference: string | undefined,
    invoiceVersion: number,
    opts?: CallOptions,
  ): Promise<Referenced<PaymentStatusResponse>> {
    return this.call("getPaymentStatus", opts, (ref) => encode.getPaymentStatus(this.context(terminalPrincipal(terminal), ref), invoiceReference, invoiceVersion),
      decode.getPaymentStatus,
    );
  }

  updateInvoice(
    terminal: TerminalCredentials,
    invoiceReference: string,
    invoice: Invoice,
    tokens?: readonly CustomerToken[],
    opts?: CallOptions,
  ): Promise<Referenced<GlaseResponse>> {
    return this.call("updateInvoice", opts, (ref) => encode.updateInvoice(this.context(terminalPrincipal(terminal), ref), invoiceReference, invoice, tokens), decode.plain);
  }

  cancelInvoice(terminal: TerminalCredentials, invoiceReference: string, opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("cancelInvoice", opts, (ref) => encode.cancelInvoice(this.context(terminalPrincipal(terminal), ref), invoiceReference), decode.plain);
  }

  commitReservation(terminal: TerminalCredentials, invoiceReference: string, amount?: Money, opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("commitReservation", opts, (ref) => encode.commitReservation(this.context(terminalPrincipal(terminal), ref), invoiceReference, amount), decode.plain);
  }

  submitPaymentReceipt(terminal: TerminalCredentials, ersReference: string, document: ReceiptDocument, opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("submitPaymentReceipt", opts, (ref) => encode.submitPaymentReceipt(this.context(terminalPrincipal(terminal), ref), ersReference, document), decode.plain);
  }

  refundPayment(terminal: TerminalCredentials, ersReference: string, invoice: Invoice, opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("refundPayment", opts, (ref) => encode.refundPayment(this.context(terminalPrincipal(terminal), ref), ersReference, invoice), decode.plain);
  }

  markTransactionPeriod(
    principal: Principal,
    parameters?: Readonly<Record<string, string>>,
    opts?: CallOptions,
  ): Promise<Referenced<MarkTransactionPeriodResponse>> {
    return this.call("markTransactionPeriod", opts, (ref) => encode.markTransactionPeriod(this.context(principal, ref), parameters), decode.markTransactionPeriod);
  }

  executeReport(
    principal: Principal,
    reportId: string,
    language: string | undefined,
    parameters: Readonly<Record<string, string>>,
    opts?: CallOptions,
  ): Promise<Referenced<ExecuteReportResponse>> {
    return this.call("executeReport", opts, (ref) => encode.executeReport(this.context(principal, ref), reportId, language, parameters), decode.executeReport);
  }

  /** No context on the wire; the clientReference only labels the log line and the result. */
  benchmarkingNop(opts?: CallOptions): Promise<Referenced<GlaseResponse>> {
    return this.call("benchmarkingNop", opts, () => encode.benchmarkingNop(), decode.plain);
  }

  private async call<T extends GlaseResponse>(
    operation: MerchantOperation,
    opts: CallOptions | undefined,
    body: (clientReference: string) => Record<string, unknown>,
    decodeOk: (ret: Record<string, unknown>, base: GlaseResponse) => T,
  ): Promise<Referenced<T>> {
    const clientReference = resolveClientReference(opts?.clientReference);
    // Encoding errors (bad amount, bad version) are the caller's: thrown before anything is sent.
    const args = body(clientReference);
    const soapClient = this.loaded ?? (await this.soapClientOrThrow());
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;

    let result: unknown;
    try {
      result = await invokeSoap(soapClient, operation, args, {
        timeoutMs: opts?.timeoutMs ?? this.timeoutMs,
        ...(opts?.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      throw this.transportFailure(operation, err, clientReference, elapsed());
    }

    let decoded: Referenced<T>;
    try {
      const { ret, base } = decodeBase(result);
      if (base.resultCode !== 0) {
        const fields = { operation, clientReference, durationMs: elapsed(), resultCode: base.resultCode };
        // REPORT_NOT_READY is the normal first answer of executeReport (§6.11): not worth a warning.
        if (classifyResult(base.resultCode) === "not-ready") this.log.info("glase.result", fields);
        else this.log.warn("glase.result", fields);
        throw new GlaseError(operation, base.resultCode, {
          clientReference,
          resultDescription: base.resultDescription,
          ...(base.ersReference !== undefined ? { ersReference: base.ersReference } : {}),
        });
      }
      decoded = { ...decodeOk(ret, base), clientReference };
    } catch (err) {
      if (err instanceof UnreadableResponse) throw this.transportFailure(operation, err, clientReference, elapsed());
      throw err;
    }
    const fields = { operation, clientReference, durationMs: elapsed(), resultCode: 0 };
    if (QUIET_OPERATIONS.has(operation)) this.log.debug("glase.call", fields);
    else this.log.info("glase.call", fields);
    return decoded;
  }

  private context(principal: Principal, clientReference: string): WireContext {
    return buildContext(this.settings, principal, clientReference);
  }

  private async soapClientOrThrow(): Promise<Client> {
    await this.ready();
    return this.soapClient;
  }

  private transportFailure(operation: MerchantOperation, err: unknown, clientReference: string, durationMs: number): Error {
    const failure = toTransportError(operation, err, { clientReference, durationMs });
    this.log.warn("glase.transport", { operation, clientReference, durationMs, kind: failure.kind, indefinite: failure.indefinite, error: failure.message });
    return failure;
  }
}
