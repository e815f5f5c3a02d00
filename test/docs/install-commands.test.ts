// Every `glase-agent <command>` that docs/install.md tells an installer to type is a command the
// real CLI has (review of issue 13, finding 11: `glase-agent unit-dropin --write` in §14 was not;
// it failed as written). The list of commands is read from the CLI's own --help.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function commandsOfHelp(args: string[]): Set<string> {
  const help = execFileSync(process.execPath, [join(ROOT, "bin/glase-agent.js"), ...args, "--help"], { encoding: "utf8" });
  return new Set([...help.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]!));
}

describe("docs/install.md commands", () => {
  it("every `glase-agent <command>` typed in install.md (code spans and sh blocks) is a command of the CLI", () => {
    const doc = readFileSync(join(ROOT, "docs/install.md"), "utf8");
    const commands = commandsOfHelp([]);
    expect(commands.has("config")).toBe(true);
    const typed = new Set<string>();
    for (const m of doc.matchAll(/`(?:sudo (?:-u \S+ )?)?glase-agent ([a-z][a-z-]*)/g)) typed.add(m[1]!);
    for (const block of doc.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const m of block[1]!.matchAll(/^(?:sudo (?:-u \S+ )?)?glase-agent ([a-z][a-z-]*)/gm)) typed.add(m[1]!);
    }
    expect(typed.size).toBeGreaterThan(3);
    expect([...typed].filter((c) => !commands.has(c))).toEqual([]);
  });
});
