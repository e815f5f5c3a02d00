// What the CLI writes to a technician's terminal never carries raw control sequences: an error can
// quote text a less trusted user wrote (an interrupted restore's marker — review 10/15-5, LOW-1).
import { describe, expect, it } from "vitest";
import { printable } from "../../agent/cli/main.ts";

describe("printable", () => {
  it("escapes ESC/CSI/OSC and other control characters, keeps newlines, tabs and text", () => {
    const hostile = "restore of \u001b[2K\u001b[1Grestore finished, run: sudo sh x\u0007 \u009b31m \u001b]0;title\u0007";
    const out = printable(hostile);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain("\\x1b[2K");
    expect(out).toContain("\\x9b31m");
    expect(printable("line one\n\tat two — ünïcode €")).toBe("line one\n\tat two — ünïcode €");
  });
});
