// Fetches invoice details from the Invoice Service (contract §7.2) and sorts the outcome into
// what the settlement can act on: details, "unknown" (404: the id is not one of ours — final),
// or a retryable failure (anything else: connection problems, 5xx, 401 while a secret is being
// rotated, a body that does not parse).
//
// The request carries the issuer's X-Auth-Token, so it goes only where the config says: https
// (plain http only to a loopback address, the local simulator), and never follows a redirect —
// a 3xx is a retryable failure, and the token never reaches another origin.
import { AgentError } from "../../base/errors.ts";
import { invoiceDetailsSchema, type InvoiceDetails } from "../../contracts/invoice-service/details.ts";
import { issuerToken } from "../../contracts/invoice-service/token.ts";

export type DetailsOutcome =
  | { readonly kind: "details"; readonly details: InvoiceDetails }
  | { readonly kind: "unknown"; readonly status: number }
  | { readonly kind: "retry"; readonly reason: string };

export interface DetailsClientOptions {
  readonly baseUrl: string;
  readonly issuerName: string;
  readonly secret: string;
  readonly timeoutMs?: number;
}

export type FetchDetails = (invoiceId: number, signal?: AbortSignal) => Promise<DetailsOutcome>;

const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/i;

/** Refuses a details base URL the token must not be sent to (CONFIG_INVALID naming the problem). */
export function checkDetailsBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new AgentError("CONFIG_INVALID", `invoiceService.detailsBaseUrl: ${JSON.stringify(baseUrl)} is not a URL`, { field: "invoiceService.detailsBaseUrl" });
  }
  if (url.username || url.password) {
    throw new AgentError("CONFIG_INVALID", "invoiceService.detailsBaseUrl: must not carry a user name or password", { field: "invoiceService.detailsBaseUrl" });
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && LOOPBACK_HOST.test(url.hostname)) return url;
  throw new AgentError("CONFIG_INVALID", `invoiceService.detailsBaseUrl: must be https (plain http only to a loopback address), got ${url.protocol}//${url.host}`, { field: "invoiceService.detailsBaseUrl" });
}

export function createDetailsClient(options: DetailsClientOptions): FetchDetails {
  const token = issuerToken(options.issuerName, options.secret);
  const base = checkDetailsBaseUrl(options.baseUrl).href.replace(/\/+$/, "");
  return async (invoiceId, signal) => {
    const url = `${base}/api/invoice/${invoiceId}?issuer=${encodeURIComponent(options.issuerName)}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        headers: { "X-Auth-Token": token, Accept: "application/json" },
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(signal ? [signal] : [])]),
      });
      text = await res.text();
    } catch (e) {
      const cause = (e as { cause?: { code?: unknown } }).cause;
      return { kind: "retry", reason: `details request failed: ${typeof cause?.code === "string" ? cause.code : (e as Error).message}` };
    }
    if (res.status >= 300 && res.status < 400) {
      return { kind: "retry", reason: `details request answered HTTP ${res.status} (a redirect${res.headers.get("location") ? ` to ${res.headers.get("location")!.slice(0, 100)}` : ""}); redirects are not followed` };
    }
    if (res.status === 404) return { kind: "unknown", status: 404 };
    if (res.status !== 200) return { kind: "retry", reason: `details request answered HTTP ${res.status}` };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: "retry", reason: "details body is not JSON" };
    }
    const parsed = invoiceDetailsSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { kind: "retry", reason: `details body invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "?"}` };
    }
    return { kind: "details", details: parsed.data };
  };
}
