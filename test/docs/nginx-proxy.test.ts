// docs/install.md §8's nginx block must forward what Glase actually calls — `publicUrl/<TOKEN>`, as
// `config notification-url` prints it — and must keep the token out of nginx's access log.
// Review 2 #1: the block said `location = /glase/notify` (exact), so every real notification got
// nginx's 404. The consistency half always runs; the real-nginx half runs where nginx is installed
// (apt-get install nginx-light) unless GLASE_TEST_NGINX=0.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { notificationUrlOf } from "../../agent/invoice-service/settings.ts";
import { openInvoiceIssuer } from "../../agent/invoice-service/issuer.ts";
import { silentLog, writeSecret, writeToken } from "../invoice-service/helpers.ts";
import { freePort } from "../support/free-port.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "1c5e".padEnd(48, "a7");

function docsBlock(): string {
  const md = readFileSync(join(ROOT, "docs", "install.md"), "utf8");
  const at = md.indexOf("**The notification endpoint**");
  const m = /```nginx\n([\s\S]*?)```/.exec(md.slice(at));
  if (at < 0 || !m) throw new Error("docs/install.md: no nginx block after **The notification endpoint**");
  return m[1]!;
}

/** The locations of the block: modifier, path and body (one level of nested braces). */
function locations(conf: string): { mod: string; path: string; body: string }[] {
  const out: { mod: string; path: string; body: string }[] = [];
  const re = /location\s+(=|\^~|~\*?)?\s*(\S+)\s*\{((?:[^{}]|\{[^{}]*\})*)\}/g;
  for (let m; (m = re.exec(conf)); ) out.push({ mod: m[1] ?? "", path: m[2]!, body: m[3]! });
  return out;
}

/** nginx's choice for a literal path among =, ^~ and plain prefix locations (no regex ones here). */
function chosen(conf: string, path: string) {
  const locs = locations(conf);
  const exact = locs.find((l) => l.mod === "=" && l.path === path);
  if (exact) return exact;
  const prefixes = locs.filter((l) => (l.mod === "" || l.mod === "^~") && path.startsWith(l.path));
  return prefixes.sort((a, b) => b.path.length - a.path.length)[0];
}

const example = parse(readFileSync(join(ROOT, "config", "example-site.yaml"), "utf8")) as { invoiceService: { publicUrl: string; listen?: string } };
const notifyPath = new URL(notificationUrlOf(example.invoiceService.publicUrl, TOKEN)).pathname;

describe("docs/install.md §8 nginx block", () => {
  it("sends the tokened notification path (and only paths below publicUrl) to the agent", () => {
    const conf = docsBlock();
    const loc = chosen(conf, notifyPath);
    expect(loc, `no location forwards ${notifyPath}`).toBeDefined();
    // The recommended setup is the Unix socket (review 4 #2); TCP is the documented alternative.
    expect(loc!.body).toMatch(/proxy_pass\s+http:\/\/unix:\/run\/glase-agent\/notify\.sock:;/);
    expect(loc!.body, "proxy_pass with a URI part would rewrite the path").not.toMatch(/proxy_pass\s+http:\/\/(?:unix:[^:;]+:|(?!unix:)[^/\s;]+)\/[^;]*;/);
    expect(chosen(conf, "/other")?.body ?? "").not.toMatch(/proxy_pass/);
  });

  it("keeps the token out of the access log of that location", () => {
    const conf = docsBlock();
    const body = chosen(conf, notifyPath)!.body;
    const off = /access_log\s+off;/.test(body);
    const fmt = /access_log\s+\S+\s+(\w+);/.exec(body)?.[1];
    expect(off || fmt !== undefined, "the location must set access_log (off or a format without the path)").toBe(true);
    if (!off) {
      const def = new RegExp(`log_format\\s+${fmt}\\s+((?:'[^']*'\\s*)+);`).exec(conf);
      expect(def, `log_format ${fmt} is not defined in the block`).not.toBeNull();
      expect(def![1]).not.toMatch(/\$(request|request_uri|uri|document_uri|args|query_string)\b(?!_)/);
    }
  });
});

const nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p));

/** A throwaway nginx in `dir` serving `block` (checked with -t first); resolves once it listens. */
async function startNginx(dir: string, block: string): Promise<ReturnType<typeof spawn>> {
  const t = (n: string) => `${n} ${join(dir, n)};`;
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off; master_process off; pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};
events { worker_connections 64; }
http { access_log ${join(dir, "access.log")}; ${t("client_body_temp_path")} ${t("proxy_temp_path")}
  ${t("fastcgi_temp_path")} ${t("uwsgi_temp_path")} ${t("scgi_temp_path")}
${block}
}
`,
  );
  const check = spawnSync(nginx!, ["-t", "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { encoding: "utf8" });
  expect(check.status, check.stderr).toBe(0);
  const pidFile = join(dir, "nginx.pid");
  // nginx writes its pid file after it has bound its listeners.
  const ready = new Promise<void>((resolve) => {
    const w = watch(dir, () => {
      if (existsSync(pidFile)) (w.close(), resolve());
    });
  });
  const child = spawn(nginx!, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: "ignore" });
  await ready;
  return child;
}
describe.skipIf(!nginx || process.env.GLASE_TEST_NGINX === "0")("docs/install.md §8 nginx block in a real nginx", () => {
  const dir = mkdtempSync(join(tmpdir(), "glase-nginx-"));
  let upstream: Server | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    child?.kill("SIGKILL");
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("forwards POST publicUrl/<TOKEN> with its path and logs no token", async () => {
    const seen: string[] = [];
    upstream = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    await new Promise<void>((r) => upstream!.listen(0, "127.0.0.1", r));
    const upPort = (upstream.address() as { port: number }).port;
    const port = await freePort();
    // The docs' block as written, with TLS swapped for plain loopback and this test's addresses.
    const block = docsBlock()
      .replace(/listen 443 ssl;/, `listen 127.0.0.1:${port};`)
      .replace(/^\s*ssl_certificate.*$/gm, "")
      .replace(/allow 192\.0\.2\.0\/24;/, "allow 127.0.0.1;")
      .replace(/proxy_pass http:\/\/unix:\/run\/glase-agent\/notify\.sock:;/, docsTcpProxyPass().replace("127.0.0.1:8731", `127.0.0.1:${upPort}`))
      .replaceAll("/var/log/nginx/", `${dir}/`);
    child = await startNginx(dir, block);

    const real = await fetch(`http://127.0.0.1:${port}${notifyPath}`, { method: "POST", body: "x" });
    expect(real.status).toBe(200);
    expect(seen).toEqual([`POST ${notifyPath}`]);
    const other = await fetch(`http://127.0.0.1:${port}/other`, { method: "POST", body: "x" });
    expect(other.status).toBe(404);
    expect(seen).toHaveLength(1);
    child.kill("SIGTERM");
    await new Promise((r) => child!.once("exit", r));
    const logs = ["access.log", "glase-notify.log", "error.log"].filter((f) => existsSync(join(dir, f))).map((f) => readFileSync(join(dir, f), "utf8")).join("");
    expect(logs).toContain("POST");
    expect(logs).not.toContain(TOKEN);
  });
});

/** The TCP variant the docs describe beside the recommended Unix socket: its proxy_pass line, as written there. */
function docsTcpProxyPass(): string {
  const md = readFileSync(join(ROOT, "docs", "install.md"), "utf8");
  const m = /`(proxy_pass http:\/\/127\.0\.0\.1:8731;)`/.exec(md);
  if (!m) throw new Error("docs/install.md: no `proxy_pass http://127.0.0.1:8731;` for the TCP variant");
  return m[1]!;
}

describe.skipIf(!nginx || process.env.GLASE_TEST_NGINX === "0")("docs/install.md §8 Unix-socket variant in a real nginx, to the real endpoint", () => {
  const dir = mkdtempSync(join(tmpdir(), "glase-nginx-unix-"));
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("nginx → unix:notify.sock → the agent's endpoint journals the notification (200); other paths 404", async () => {
    const run = join(dir, "run");
    mkdirSync(run, { mode: 0o755 });
    const socket = join(run, "notify.sock");
    const agent = await openInvoiceIssuer(
      { issuerName: "kiosk", secretFile: await writeSecret(dir, "kiosk-secret-0123"), notificationTokenFile: await writeToken(dir, TOKEN), listen: `unix:${socket}`, publicUrl: example.invoiceService.publicUrl, detailsBaseUrl: "http://127.0.0.1:9" },
      { journalPath: join(dir, "invoices.sqlite"), release: async () => undefined, log: silentLog },
    );
    try {
      const port = await freePort();
      const block = docsBlock()
        .replace(/listen 443 ssl;/, `listen 127.0.0.1:${port};`)
        .replace(/^\s*ssl_certificate.*$/gm, "")
        .replace(/allow 192\.0\.2\.0\/24;/, "allow 127.0.0.1;")
        .replace("/run/glase-agent/notify.sock", socket)
        .replaceAll("/var/log/nginx/", `${dir}/`);
      expect(block).toContain(`unix:${socket}:`);
      child = await startNginx(dir, block);
      const real = await fetch(`http://127.0.0.1:${port}${notifyPath}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ invoiceId: 4713 }) });
      expect(real.status, readFileSync(join(dir, "error.log"), "utf8").slice(-500)).toBe(200);
      expect((await agent.listNotifications()).map((n) => n.invoiceId)).toContain(4713);
      const wrong = await fetch(`http://127.0.0.1:${port}/glase/notify/not-the-token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(wrong.status).toBe(404);
    } finally {
      child?.kill("SIGTERM");
      await agent.close();
    }
  });
});
