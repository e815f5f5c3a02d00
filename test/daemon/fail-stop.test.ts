// The daemon's unhandled-rejection policy (agent/daemon/fail-stop.ts): logged through the agent's
// logger, then exit 70 (EX_SOFTWARE: systemd restarts, recovery rebuilds from the journal).
import { expect, it } from "vitest";
import { EXIT_SOFTWARE, failStopHandler } from "../../agent/daemon/fail-stop.ts";
import type { Logger } from "../../base/log.ts";

it("an unhandled rejection is logged with its reason, then the process exits EX_SOFTWARE", () => {
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  const log = { error: (event: string, fields?: Record<string, unknown>) => void lines.push([event, fields]) } as unknown as Logger;
  const exits: number[] = [];
  failStopHandler(log, (c) => void exits.push(c))(new Error("SQLITE_IOERR"));
  expect(lines).toEqual([["unhandled_rejection", expect.objectContaining({ err: expect.objectContaining({ message: "SQLITE_IOERR" }) })]]);
  expect(exits).toEqual([EXIT_SOFTWARE]);
  expect(EXIT_SOFTWARE).toBe(70);
});
