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
  },
});
