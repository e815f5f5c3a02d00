// The controller's upload receiver reads bodies through the one bounded reader (base/io/http-body.ts):
// an oversized upload — declared by Content-Length or streamed chunked without one — is answered
// 413 JSON_REQUEST_IS_TOO_LONG without buffering it, and the receiver goes on taking uploads.
import { afterEach, expect, it } from "vitest";
import { request } from "node:http";
import { startUploadReceiver, type UploadReceiver } from "../../../drivers/pts2/upload-receiver.ts";
import { createLogger } from "../../../base/log.ts";

let receiver: UploadReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function post(port: number, chunks: string[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/jsonPTS", method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    const next = (i: number) => (i < chunks.length ? req.write(chunks[i], () => next(i + 1)) : req.end());
    next(0);
  });
}

it("an oversized upload is 413 JSON_REQUEST_IS_TOO_LONG, declared or streamed, and the next upload is taken", async () => {
  const uploads: (readonly string[])[] = [];
  receiver = await startUploadReceiver({ host: "127.0.0.1", port: 0, path: "/jsonPTS", maxBodyBytes: 1024, logger: createLogger("test.pts-upload"), onUpload: (t) => uploads.push(t) });
  const big = JSON.stringify({ Protocol: "jsonPTS", Packets: [{ Id: 1, Type: "UploadStatus", Data: "x".repeat(4000) }] });
  const declared = await post(receiver.port, [big], { "content-length": String(Buffer.byteLength(big)) });
  expect(declared.status).toBe(413);
  expect(JSON.parse(declared.body).Packets[0]).toMatchObject({ Error: true, Code: 5, Message: "JSON_REQUEST_IS_TOO_LONG" });
  const streamed = await post(receiver.port, [big.slice(0, 800), big.slice(800, 1600)]).catch((e: Error) => ({ status: -1, body: e.message }));
  // The receiver stops reading at the cap; the client sees the 413 (or, if it was still sending, a reset).
  expect([413, -1]).toContain(streamed.status);
  expect(uploads).toEqual([]);
  const ok = JSON.stringify({ Protocol: "jsonPTS", Packets: [{ Id: 1, Type: "UploadStatus" }] });
  const taken = await post(receiver.port, [ok]);
  expect(taken.status).toBe(200);
  expect(uploads).toEqual([["UploadStatus"]]);
});
