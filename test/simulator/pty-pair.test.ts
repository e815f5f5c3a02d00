// socat pty pairs never outlive the process that opened them (16 socat processes were found left
// over by killed test workers): a SIGKILLed owner (setpriv --pdeathsig) and one that exits without
// closing its pair (the exit hook) both take socat with them.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("./fixtures/pty-pair-child.ts", import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the owner and reads socat's pid from its first line. */
function owner(mode: "exit" | "wait") {
  // One process (tsx as a loader, not its CLI, which would run the script in a child of its own).
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, mode], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const pid = new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.once("exit", () => reject(new Error(`owner exited before it printed socat's pid: ${out}`)));
  });
  return { child, pid, exited };
}

/** socat is gone (it dies within moments of its owner; checked each 20 ms, at most 5 s). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe("pty pair cleanup", () => {
  it("its owner SIGKILLed: socat goes too", async () => {
    const o = owner("wait");
    const pid = await o.pid;
    expect(alive(pid)).toBe(true);
    o.child.kill("SIGKILL");
    await o.exited;
    const ok = await gone(pid);
    if (!ok) process.kill(pid, "SIGTERM");
    expect(ok, `socat ${pid} outlived its SIGKILLed owner`).toBe(true);
  }, 20_000);

  it("its owner exits without closing the pair: socat goes too", async () => {
    const o = owner("exit");
    const pid = await o.pid;
    await o.exited;
    const ok = await gone(pid);
    if (!ok) process.kill(pid, "SIGTERM");
    expect(ok, `socat ${pid} outlived its owner`).toBe(true);
  }, 20_000);
});
