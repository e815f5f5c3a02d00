// Webhook target: POSTs the alert as JSON. 2xx is delivered; a network failure, a timeout, 408,
// 429 and 5xx are retried (Retry-After honoured, capped by the dispatcher); any other answer is a
// refusal a retry cannot fix (a wrong URL, a rejected token) and is not retried. Redirects are
// not followed: the bearer token would go along to wherever they point. The token never appears
// in a log line or an error: it is read from its 0600 file and registered with the log scrubber,
// and what the hook reports about the URL is its origin and path only.
import { registerSecret } from "../../base/log.ts";
import type { AlertPayload, AlertTarget, DeliveryResult } from "./dispatcher.ts";

export interface WebhookOptions {
  readonly url: string;
  /** The bearer token (already read from its file), sent as `Authorization: Bearer …`. */
  readonly token?: string;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

/** What may be said about a webhook URL in a log line: no userinfo, no query. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

export function webhookTarget(o: WebhookOptions): AlertTarget {
  registerSecret(o.token);
  const where = describeUrl(o.url);
  return {
    name: "webhook",
    async deliver(payload: AlertPayload, stop: AbortSignal): Promise<DeliveryResult> {
      let res: Response;
      try {
        res = await fetch(o.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": o.userAgent,
            "x-glase-alert-id": payload.id,
            ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          },
          body: JSON.stringify(payload),
          redirect: "manual",
          signal: AbortSignal.any([AbortSignal.timeout(o.timeoutMs), stop]),
        });
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        const why = err.name === "TimeoutError" ? `no answer within ${o.timeoutMs} ms` : (err.cause?.code ?? err.name);
        return { ok: false, retry: true, reason: `${where}: ${why}` };
      }
      // The body is not needed; reading it frees the connection.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const retry = res.status === 408 || res.status === 429 || res.status >= 500;
      const hint = res.status >= 300 && res.status < 400 ? " (redirects are not followed: give the final URL)" : res.status === 401 || res.status === 403 ? " (check alerts.webhook.bearerTokenFile)" : "";
      const after = retryAfterMs(res.headers.get("retry-after"));
      return { ok: false, retry, reason: `${where}: HTTP ${res.status}${hint}`, ...(retry && after !== undefined ? { retryAfterMs: after } : {}) };
    },
  };
}
