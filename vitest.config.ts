import { defineConfig } from "vitest/config";

// The default tier (`npm test`) excludes the long crash campaign (`npm run test:crash`); naming a
// campaign file on the command line (as that script does) runs it.
const campaignNamed = process.argv.some((a) => a.endsWith(".campaign.test.ts"));

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: campaignNamed ? ["node_modules/**"] : ["test/**/*.campaign.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Vitest's default is one worker per CPU minus one — a single worker on CI's two cores, so
    // the whole tier ran file after file while most files wait on sockets, timers and child
    // processes. Two workers overlap those waits; files that start agents keep their paths,
    // ports and accounts to themselves (test/daemon/station-config.ts, unit-sandbox.ts).
    maxWorkers: Number(process.env.GLASE_TEST_WORKERS ?? 2),
  },
});
