// Issuer settings as the agent uses them. The daemon's config section `invoiceService`
// (agent/config/schema.ts) supplies issuerName, secretFile, listen and publicUrl; the details
// base URL (the Invoice Service host, §9 A37) and the QR host are deployment facts added here.
import { AgentError } from "../../base/errors.ts";
import { DEFAULT_QR_HOST } from "../../contracts/invoice-service/qr.ts";

export interface IssuerSettings {
  readonly issuerName: string;
  /** File holding the issuer secret; must be 0600 (group/world-readable files are refused). */
  readonly secretFile: string;
  /**
   * File (0600) holding the notification token: the last path segment of the notification URL
   * registered at Glase (`publicUrl` + `/` + token). A POST to any other path is answered 404
   * before anything is read or stored, so a flood from anyone who does not know the URL costs
   * the agent nothing but the connection.
   */
  readonly notificationTokenFile: string;
  /** `host:port` (or `[v6]:port`), or `unix:/path.sock` (cannot be squatted: listener.ts); loopback 8731 by default. */
  readonly listen?: string;
  /** Whose X-Forwarded-For names a notification's source (default nobody's; config/schema.ts). */
  readonly trustedProxy?: boolean | readonly string[];
  /** Public URL Glase calls (agreed with Glase; usually a reverse proxy in front of `listen`). */
  readonly publicUrl: string;
  /** Base URL of the Invoice Service for details requests, e.g. https://invoice.glase.example. */
  readonly detailsBaseUrl: string;
  /** Host written in invoice QR codes (default SEQR.SE). */
  readonly qrHost?: string;
  /** Path the endpoint accepts, before the token; default: the path of publicUrl. */
  readonly notificationPath?: string;
}

/** 32–128 URL-safe characters: at least 128 bits from 24 random bytes in hex or base64url. */
export const NOTIFICATION_TOKEN = /^[A-Za-z0-9_-]{32,128}$/;

/** The URL to register at Glase: the public URL with the token as its last path segment. */
export function notificationUrlOf(publicUrl: string, token: string): string {
  const url = new URL(publicUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${token}`;
  return url.href;
}

/** The endpoint path a notification must arrive on. */
export function notificationPathOf(basePath: string, token: string): string {
  return `${basePath.replace(/\/+$/, "")}/${token}`;
}

export const DEFAULT_LISTEN = "127.0.0.1:8731";

export interface ResolvedListen {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Set for `unix:/path`: the endpoint listens on that Unix socket (host/port unused). */
  readonly socketPath?: string;
}

export function resolveListen(s: IssuerSettings): ResolvedListen {
  const listen = s.listen ?? DEFAULT_LISTEN;
  const unix = /^unix:(\/\S+)$/.exec(listen);
  const m = unix ? null : /^(?:\[([0-9a-fA-F:]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!unix && (!m || port > 65535)) {
    throw new AgentError("CONFIG_INVALID", `invoiceService.listen: ${JSON.stringify(listen)} is not host:port`, { field: "invoiceService.listen" });
  }
  let path = s.notificationPath;
  if (path === undefined) {
    try {
      path = new URL(s.publicUrl).pathname;
    } catch {
      throw new AgentError("CONFIG_INVALID", `invoiceService.publicUrl: ${JSON.stringify(s.publicUrl)} is not a URL`, { field: "invoiceService.publicUrl" });
    }
  }
  if (unix) return { host: "unix", port: 0, path, socketPath: unix[1]! };
  return { host: m![1] ?? m![2]!, port, path };
}

export function qrHostOf(s: IssuerSettings): string {
  return s.qrHost ?? DEFAULT_QR_HOST;
}

/** The daemon config's `invoiceService` section (agent/config/schema.ts), plus optional extras. */
export interface InvoiceServiceSection {
  readonly issuerName: string;
  readonly secretFile: string;
  readonly notificationTokenFile: string;
  readonly listen?: string;
  readonly publicUrl: string;
  readonly detailsBaseUrl?: string;
  readonly qrHost?: string;
}

/**
 * Settings from the config section. Without an explicit `detailsBaseUrl` the Invoice Service is
 * taken to live at the origin of the Glase endpoint — where the simulator mounts it; a real
 * deployment names its Invoice Service host explicitly.
 */
export function issuerSettingsFromConfig(section: InvoiceServiceSection, glaseEndpoint: string): IssuerSettings {
  let detailsBaseUrl = section.detailsBaseUrl;
  if (detailsBaseUrl === undefined) {
    try {
      detailsBaseUrl = new URL(glaseEndpoint).origin;
    } catch {
      throw new AgentError("CONFIG_INVALID", `invoiceService.detailsBaseUrl is needed: ${JSON.stringify(glaseEndpoint)} has no origin to default to`, {
        field: "invoiceService.detailsBaseUrl",
      });
    }
  }
  return { ...section, detailsBaseUrl };
}
