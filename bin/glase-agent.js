#!/usr/bin/env node
// Entry point of the `glase-agent` executable. The program is TypeScript run through tsx's
// loader, so a checkout works with `npx glase-agent` without a build step. Production runs the
// bundle of the same entry instead (`npm run build` → dist/glase-agent.mjs, see
// systemd/glase-agent.service); this file never runs dist/, so a stale build cannot be picked up.
import { register } from "tsx/esm/api";

register();
await import("../agent/cli/entry.ts");
