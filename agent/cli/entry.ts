// The program's entry: runs the CLI with the process's arguments. bin/glase-agent.js imports it
// through tsx (development, `npx glase-agent`, `npm start`); `npm run build` bundles it into
// dist/glase-agent.mjs (production, systemd/glase-agent.service).
import { main } from "./main.ts";

process.exitCode = await main(process.argv.slice(2));
