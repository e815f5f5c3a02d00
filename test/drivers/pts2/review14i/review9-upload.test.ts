// Ninth hostile review of issue 14 — the upload receiver as a poll trigger (R9-4). Failed on 83a6db3 (R9-4: 35 polls/s at pollIntervalMs 500; R9-5: the process exited 1).
import { request } from "node:http";
import { expect, it } from "vitest";
import { closeAfterEach, openDriver, startTwin } from "../helpers.ts";

const cleanup = closeAfterEach();

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/jsonPTS", method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

it("R9-4: uploads (unauthenticated when upload.auth is not set — any host or local user that reaches the port) bring polls forward but never poll the controller flat out", async () => {
  const twin = await startTwin({ userId: 1 });
  const { driver } = await openDriver(twin, { pollIntervalMs: 500, upload: { host: "127.0.0.1", port: 0 } });
  cleanup(() => driver.close(), () => twin.close());
  const port = driver.uploadPort!;
  const polls = () => twin.batches.filter((b) => b.includes("PumpGetStatus")).length;
  const body = JSON.stringify({ Protocol: "jsonPTS", PtsId: "spoof", Packets: [{ Id: 1, Type: "UploadStatus", Data: {} }] });
  const before = polls();
  const started = Date.now();
  let accepted = 0;
  while (Date.now() - started < 1000) {
    await Promise.all(Array.from({ length: 10 }, () => post(port, body).then((s) => void (s === 200 && accepted++))));
  }
  const elapsed = Date.now() - started;
  const made = polls() - before;
  // At pollIntervalMs 500 about 2 polls a second are configured; an upload may bring the next one forward.
  expect({ accepted: accepted > 0, pollsPerSecond: Math.round((made * 1000) / elapsed) }).toEqual({ accepted: true, pollsPerSecond: expect.toSatisfy((n: number) => n <= 10) });
});

it("R9-5: one unauthenticated request line with an unparsable absolute URL ('POST http://[/ HTTP/1.1') is answered 400 and the agent process lives on", async () => {
  const { spawn } = await import("node:child_process");
  const { connect } = await import("node:net");
  const { fileURLToPath } = await import("node:url");
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./review9-upload-child.ts", import.meta.url))], { stdio: ["ignore", "pipe", "pipe"] });
  cleanup(async () => void child.kill("SIGKILL"));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", () => reject(new Error("child exited before listening")));
  });
  // A hostile local user (or any host that reaches upload.port): no credentials needed.
  const answer = await new Promise<string>((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write("POST http://[/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    let got = "";
    s.on("data", (d: Buffer) => (got += d.toString()));
    s.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
    s.on("error", () => resolve(""));
  });
  // The receiver must answer (400/404) and the process live on; a good upload is still taken.
  const alive = await Promise.race([exited.then((code) => `exited ${code}`), post(port, JSON.stringify({ Protocol: "jsonPTS", Packets: [{ Id: 1, Type: "UploadStatus" }] })).then((s) => `answered ${s}`, () => exited.then((code) => `exited ${code}`))]);
  expect({ answer: /^HTTP\/1\.1 4\d\d/.test(answer), alive }).toEqual({ answer: true, alive: "answered 401" });
});
