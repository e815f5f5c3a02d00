// Child process of review9-upload.test.ts (R9-5): the PTS-2 upload receiver as the daemon starts it
// (drivers/pts2/open.ts), with upload.auth set; prints its port, then lives until killed.
import { startUploadReceiver } from "../../../../drivers/pts2/upload-receiver.ts";
import { createLogger } from "../../../../base/log.ts";

const r = await startUploadReceiver({ host: "127.0.0.1", port: 0, path: "/jsonPTS", maxBodyBytes: 256 * 1024, auth: { user: "pts", password: "secret" }, logger: createLogger("child.pts-upload"), onUpload: () => undefined });
process.stdout.write(`port ${r.port}\n`);
setInterval(() => undefined, 1 << 30);
