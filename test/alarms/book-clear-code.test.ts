// An Invoice Service condition alarm (invoice-port-taken) clears when its cause is gone — the
// book's clear path for one origin and code (review 4 #2), leaving every other alarm open.
import { expect, it } from "vitest";
import { AlarmBook } from "../../agent/alarms/book.ts";

it("clearCode clears the open alarms of that origin and code only, and says so", () => {
  const book = new AlarmBook(() => 1000);
  const changes: string[] = [];
  book.subscribe((c) => changes.push(`${c.kind}:${c.alarm.code}`));
  book.raise({ origin: "invoice-service", code: "invoice-port-taken", message: "127.0.0.1:8731 is held by uid 65534" });
  book.raise({ origin: "invoice-service", code: "invoice-release-failed", message: "x" });
  book.raise({ origin: "station", code: "invoice-port-taken", message: "same code, other origin" });
  book.clearCode("invoice-service", "invoice-port-taken");
  expect(book.list().map((a) => `${a.origin}:${a.code}`).sort()).toEqual(["invoice-service:invoice-release-failed", "station:invoice-port-taken"]);
  expect(changes).toContain("cleared:invoice-port-taken");
  book.clearCode("invoice-service", "invoice-port-taken"); // nothing open: no-op
});
