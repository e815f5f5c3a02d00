import { defineConfig } from "vitest/config";

// The default tier (`npm test`) excludes the long crash campaign (`npm run test:crash`).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.campaign.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
