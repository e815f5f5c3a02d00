// ctl's tables never show an unlabelled clock (review of issue 11 #9): every time carries its zone,
// in the technician's local zone (TZ, by default the system's — station.timeZone's default too),
// so "stopped at 15:28:48" next to a receipt's "16:34" is no longer an hour's riddle.
import { describe, expect, it } from "vitest";
import { renderPoints, renderReceipts, time } from "../../agent/cli/commands/ctl-render.ts";

const AT = Date.parse("2026-12-01T15:34:33Z");

describe("ctl times", () => {
  it("name their zone", () => {
    expect(time(AT, "UTC")).toBe("2026-12-01 15:34:33 UTC");
    expect(time(AT, "Europe/Berlin")).toBe("2026-12-01 16:34:33 CET");
    expect(time(Date.parse("2026-07-01T15:34:33Z"), "Europe/Stockholm")).toBe("2026-07-01 17:34:33 CEST");
    expect(time(AT)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+$/);
    expect(time(undefined)).toBe("-");
  });

  it("in the tables a technician compares with the paper: receipts, a stopped point", () => {
    const receipts = renderReceipts([{ flowId: "K8-1", ersReference: "E1", printed: true, at: AT, content: { stationName: "S", terminalId: "T", point: 8, amountMinor: 100, currency: "SEK", ersReference: "E1", description: "Glase payment", timestamp: "2026-12-01T15:34:33Z" } }]);
    expect(receipts).toMatch(/\d\d:\d\d:\d\d \S+/);
    expect(receipts).toContain(time(AT));
    const points = renderPoints([{ point: 2, kind: "fuel", terminalId: "T2", state: "stopped", alarms: [], outOfService: { cause: "stopped", detail: "stopped", since: AT, by: "uid 0 pid 7 (user root) on admin.sock" } }]);
    expect(points).toContain(`stopped by uid 0 pid 7 (user root) at ${time(AT).slice(11)}`);
    expect(time(AT).slice(11)).toMatch(/^\d\d:\d\d:\d\d \S+$/);
  });
});
