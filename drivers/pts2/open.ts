// Opens one PTS-2 controller from its configuration: validates it (zod; every problem named by its
// path), resolves the secrets (password files through the shell's 0600-checking reader, the CA
// file), builds the HTTP client, loads the durable transaction records, starts polling and the
// optional upload receiver, and waits (bounded) for the controller's first answer. A controller
// that is not there yet is returned anyway; it keeps polling and `link` events say when it is up.
import { readFile } from "node:fs/promises";
import type { Scheduler } from "../../base/clock.ts";
import { AgentError } from "../../base/errors.ts";
import type { Logger } from "../../base/log.ts";
import type { DriverStore } from "../../contracts/driver-store.ts";
import { type Pts2Config, type Pts2ConfigInput, jsonPtsUrl, pts2ConfigSchema } from "./config.ts";
import { Pts2Controller } from "./driver.ts";
import { type PtsAuth, JsonPtsHttp } from "./http-client.ts";
import { type UploadReceiver, startUploadReceiver } from "./upload-receiver.ts";

export interface Pts2OpenDeps {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** Durable storage for the transaction ↔ flow records (scoped to this controller by the shell). */
  readonly store: DriverStore;
  /** Reads a secret file, refusing group/world-readable ones (the shell's readSecretFile). */
  readonly readSecret?: (path: string) => Promise<string>;
}

export interface OpenedPts2Controller extends Pts2Controller {
  /** The upload receiver's port when `upload` is configured (0 in the config = ephemeral). */
  readonly uploadPort?: number;
}

/** Validates a config object; throws CONFIG_INVALID listing every problem with its path. */
export function parsePts2Config(input: unknown): Pts2Config {
  const r = pts2ConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new AgentError("CONFIG_INVALID", `PTS-2 controller config: ${problems.join("; ")}`, { problems });
}

async function secretOf(what: string, s: { password?: string | undefined; passwordFile?: string | undefined }, deps: Pts2OpenDeps): Promise<string> {
  if (s.password !== undefined) return s.password;
  if (!deps.readSecret) throw new AgentError("CONFIG_INVALID", `${what}: passwordFile needs the shell's secret reader`, { what });
  return deps.readSecret(s.passwordFile!);
}

export async function openPts2Controller(input: Pts2ConfigInput | Pts2Config, deps: Pts2OpenDeps): Promise<OpenedPts2Controller> {
  const config = parsePts2Config(input);
  const log = deps.logger;
  const auth: PtsAuth = config.auth.scheme === "none" ? { scheme: "none" } : { scheme: config.auth.scheme, user: config.auth.user, password: await secretOf("auth", config.auth, deps) };
  if (config.tls?.insecure) log.warn("pts_tls_insecure", { id: config.id, note: "the controller's certificate is not checked" });
  const ca = config.tls?.caFile ? await readFile(config.tls.caFile, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new AgentError("CONFIG_INVALID", `tls.caFile ${config.tls!.caFile}: cannot read (${e.code ?? e.message})`, { path: config.tls!.caFile });
  }) : undefined;
  const http = new JsonPtsHttp({
    url: jsonPtsUrl(config.url),
    auth,
    tls: { ...(ca ? { ca } : {}), ...(config.tls?.pinSha256 ? { pinSha256: config.tls.pinSha256 } : {}), insecure: config.tls?.insecure ?? false },
    timeoutMs: config.requestTimeoutMs,
    keepAlive: config.keepAlive,
    maxResponseBytes: 1024 * 1024,
    scheduler: deps.scheduler,
  });
  const driver = new Pts2Controller(config, deps, http);
  let receiver: UploadReceiver | undefined;
  if (config.upload) {
    const u = config.upload;
    receiver = await startUploadReceiver({
      host: u.host,
      port: u.port,
      path: u.path,
      ...(u.auth ? { auth: { user: u.auth.user, password: await secretOf("upload.auth", u.auth, deps) } } : {}),
      maxBodyBytes: u.maxBodyBytes,
      logger: log,
      onUpload: () => driver.uploadArrived(),
    });
  }
  const close = driver.close.bind(driver);
  const opened = Object.assign(driver, {
    ...(receiver ? { uploadPort: receiver.port } : {}),
    close: async () => {
      await close();
      http.close();
      await receiver?.close();
    },
  });
  await driver.start();
  try {
    await driver.waitForLink(config.openTimeoutMs);
  } catch (err) {
    log.warn("pts_not_reachable_yet", { id: config.id, url: http.description, err });
  }
  return opened;
}
