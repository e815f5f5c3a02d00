// The agent as the PTS-2's "remote server": the controller POSTs jsonPTS uploads here
// (`{"Protocol":"jsonPTS","PtsId":"…","Packets":[{"Id":1,"Type":"UploadStatus","Data":{…}}]}`) and
// each packet is confirmed `{"Id":1,"Type":"UploadStatus","Message":"OK"}`. A status or pump
// transaction upload only makes the driver poll at once: the figures the agent settles with
// always come from PumpGetStatus / PumpGetTransactionInformation, so the upload's layout (which
// varies between firmwares and is not fully public) can never change an amount. Other upload
// types are answered JSONPTS_ERROR_NOT_FOUND: point only status and transactions at the agent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { readLimitedBody, requestPathname } from "../../base/io/http-body.ts";
import type { Logger } from "../../base/log.ts";

export interface UploadReceiverOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly auth?: { readonly user: string; readonly password: string };
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Called once per accepted request with the packet types it carried. */
  onUpload(types: readonly string[]): void;
}

export interface UploadReceiver {
  readonly port: number;
  close(): Promise<void>;
}

const WAKE_TYPES = new Set(["UploadStatus", "UploadPumpTransaction"]);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), Connection: "close" });
  res.end(text);
}

const errorAnswer = (code: number, message: string) => ({ Protocol: "jsonPTS", Packets: [{ Id: 0, Error: true, Code: code, Message: message }] });

export function startUploadReceiver(opts: UploadReceiverOptions): Promise<UploadReceiver> {
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // An unparsable request target (`POST http://[/ HTTP/1.1`) makes new URL throw, here in the
    // server's synchronous request handler: before this check that was an uncaught exception
    // that ended the whole agent, credentials or not (review 14 R9-5).
    const path = requestPathname(req);
    if (path === undefined) return send(res, 400, errorAnswer(2, "INVALID_JSON_REQUEST"));
    if (req.method !== "POST" || path !== opts.path) return send(res, 404, errorAnswer(1, "JSONPTS_ERROR_NOT_FOUND"));
    if (opts.auth) {
      const given = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      const decoded = given ? Buffer.from(given, "base64").toString("utf8") : "";
      if (!sameSecret(decoded, `${opts.auth.user}:${opts.auth.password}`)) {
        res.setHeader("WWW-Authenticate", 'Basic realm="glase-agent"');
        return send(res, 401, errorAnswer(6, "JSONPTS_ERROR_NO_PERMISSIONS"));
      }
    }
    void readLimitedBody(req, opts.maxBodyBytes).then((read) => {
      if (!read.ok) {
        if (!read.tooLarge) return; // the request broke off: nobody to answer
        send(res, 413, errorAnswer(5, "JSON_REQUEST_IS_TOO_LONG"));
        req.destroy(); // do not read the rest of an oversized upload
        return;
      }
      const size = read.body.length;
      let body: unknown;
      try {
        body = JSON.parse(read.body.toString("utf8"));
      } catch {
        opts.logger.warn("pts_upload_unreadable", { bytes: size });
        return send(res, 400, errorAnswer(2, "INVALID_JSON_REQUEST"));
      }
      const packets = (body as { Packets?: unknown }).Packets;
      if ((body as { Protocol?: unknown }).Protocol !== "jsonPTS" || !Array.isArray(packets)) return send(res, 400, errorAnswer(2, "INVALID_JSON_REQUEST"));
      const types: string[] = [];
      const answers = packets.map((p: unknown) => {
        const id = typeof (p as { Id?: unknown })?.Id === "number" ? (p as { Id: number }).Id : 0;
        const type = typeof (p as { Type?: unknown })?.Type === "string" ? (p as { Type: string }).Type : "";
        if (!WAKE_TYPES.has(type)) return { Id: id, Type: type, Error: true, Code: 1, Message: "JSONPTS_ERROR_NOT_FOUND" };
        types.push(type);
        return { Id: id, Type: type, Message: "OK" };
      });
      if (types.length > 0) opts.onUpload(types);
      send(res, 200, { Protocol: "jsonPTS", Packets: answers });
    }).catch((err: unknown) => {
      opts.logger.error("pts_upload_failed", { err });
      send(res, 500, errorAnswer(3, "JSONPTS_ERROR_INTERNAL"));
    });
  };

  return new Promise((resolve, reject) => {
    const server: Server = createServer(handle);
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : opts.port;
      opts.logger.info("pts_upload_listening", { host: opts.host, port, path: opts.path });
      resolve({
        port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
