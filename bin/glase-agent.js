#!/usr/bin/env node
// Entry point of the `glase-agent` executable. The program is TypeScript run through tsx's
// loader, so a checkout works with `npx glase-agent` without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../agent/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
