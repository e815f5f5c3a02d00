// The Kiosk API against a hostile local client (no token), and the socket's own group so a kiosk
// app never needs the agent's group (review of issue 13, findings 8 and 12; both failed before).
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAgentError } from "../../../base/errors.ts";
import { startApi } from "./helpers.ts";

describe("Kiosk API against a client without the token", () => {
  it("a malformed percent-escape in the path is a 4xx problem, answered after the token check — not a 500 with an ERROR log and stack", async () => {
    const { raw, call } = await startApi();
    // Before: decodeURIComponent threw inside matchRoute, before the bearer check, and the catch-all
    // logged kiosk_api_failed at ERROR with the stack for every such request from anyone.
    for (const path of ["/v1/payments/%E0%A4%A", "/v1/payments/%zz/release"]) {
      const r = await raw(path.endsWith("release") ? "POST" : "GET", path);
      expect(r.status, path).toBe(401);
    }
    // With the token: a 400 naming the path.
    const bad = await call("GET", "/v1/payments/%E0%A4%A");
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "path", message: expect.stringContaining("percent-escape") }]);
  });
});

describe("Kiosk API socket group (socketGroup)", () => {
  it("the socket is given to the configured group, mode 0660: the kiosk app needs no membership of the agent's group", async () => {
    const { dir } = await startApi({ api: { socketGroup: "4242" } });
    const st = lstatSync(join(dir, "kiosk.sock"));
    expect(st.gid).toBe(4242);
    expect(st.mode & 0o777).toBe(0o660);
  });

  it("an unknown group refuses the start, naming socketGroup", async () => {
    const err = await startApi({ api: { socketGroup: "no-such-group-h13b" } }).catch((e: unknown) => e);
    expect(isAgentError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toMatch(/^kioskApi\.socketGroup: no group named 'no-such-group-h13b'/);
  });
});
