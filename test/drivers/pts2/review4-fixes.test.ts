// Regression tests for the fixes of the fourth review of issue 14 beyond its own repros
// (review4.test.ts): a user check that failed stays pending and raises PTS_USER_MISMATCH later
// (R4-1); a read-back is judged by the evidence journaled when the authorization was sent, not by
// today's config (R4-2); a parked sale has a technician exit that charges it at the controller's
// figures (`claim`) and one that gives it up without touching the pump (`disown`), both durable
// (R4-3). Real driver over loopback HTTP against the virtual PTS-2, plus the pure evidence rule.
import { expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { DispenserEvent } from "../../../contracts/dispenser.ts";
import { MemoryDriverStore } from "../../../drivers/driver-store.ts";
import { OwnUser } from "../../../drivers/pts2/own-user.ts";
import { evidenceFor, ownershipOf } from "../../../drivers/pts2/ownership.ts";
import type { TxRecord } from "../../../drivers/pts2/transactions.ts";
import { closeAfterEach, openDriver, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();
type Fault = Extract<DispenserEvent, { type: "fault" }>;
const isFault = (e: DispenserEvent): e is Fault => e.type === "fault";
const codes = (events: DispenserEvent[]) => events.filter(isFault).map((e) => e.code);
const sale = (id: string) => ({ point: 1, limitMinor: 50000, currency: "SEK", transactionId: id, gradeId: "95" });
const failure = (p: Promise<unknown>) => p.then(() => "ok", (e: { context?: { code?: string }; code?: string }) => e.context?.code ?? e.code ?? "error");
const log = createLogger("test.pts2");

it("R4-1: the UserId check of a confirmed sale that met a busy controller stays pending across a restart, and raises PTS_USER_MISMATCH when it runs", async () => {
  const twin = await startTwin({ userId: 7 });
  const first = await openDriver(twin, { controllerUserId: 1 });
  const info = twin.pumps.transactionInfo.bind(twin.pumps);
  const authorize = twin.pumps.authorize.bind(twin.pumps);
  let busyOnce = false;
  twin.pumps.authorize = (d) => ((busyOnce = true), authorize(d));
  twin.pumps.transactionInfo = (d) => (busyOnce ? ((busyOnce = false), { ok: false, code: 41 }) : info(d));
  twin.liftNozzle(1, 1);
  await first.events.waitFor((e) => e.type === "call");
  await first.driver.authorize(sale("A")); // confirmed; the sale is not failed by the check
  twin.pumps.authorize = authorize;
  expect(codes(first.events.events)).toEqual([]);
  expect((await first.store.get("tx/A")) as TxRecord).toMatchObject({ phase: "authorized", confirmed: true, userCheckPending: true });
  await first.driver.close();
  // The restarted driver runs the pending check before its next authorization.
  const again = await openDriver(twin, { controllerUserId: 1 }, first.store);
  cleanup(() => again.driver.close(), () => twin.close());
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current?.state === "EndOfTransaction");
  await again.driver.settled("A").catch(() => undefined);
  await waitUntil(() => twin.pumps.pumps.get(1)!.current === undefined);
  twin.liftNozzle(1, 1);
  await waitUntil(() => again.events.count((x) => x.type === "nozzle" && x.up) >= 1);
  await again.driver.authorize(sale("B"));
  expect(codes(again.events.events)).toContain("PTS_USER_MISMATCH");
  expect(((await again.store.get("tx/A")) as TxRecord).userCheckPending).toBe(false);
});

it("R4-1, fresh install: the right controllerUserId, but the very first answer lost — parked (never decided on a claim); `claim` then settles it at the controller's figures, and the claim outlives a restart", async () => {
  const twin = await startTwin({ userId: 1 });
  const first = await openDriver(twin, { controllerUserId: 1 }); // as configured by the installer, never corroborated
  twin.liftNozzle(1, 1);
  await first.events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await failure(first.driver.authorize(sale("B")))).toBe("PTS_OWNERSHIP_UNKNOWN");
  twin.deliver(1, 20_000);
  twin.hangUp(1);
  expect(await failure(first.driver.saleRecord("B"))).toBe("PTS_OWNERSHIP_UNKNOWN");
  expect(codes(first.events.events)).toEqual(["PTS_OWNERSHIP_UNKNOWN"]);
  await first.driver.resolveSale("B", "ours"); // the technician saw user 1, 20 L, on the controller
  await first.driver.close();
  const again = await openDriver(twin, { controllerUserId: 1 }, first.store);
  cleanup(() => again.driver.close(), () => twin.close());
  expect(await again.driver.saleRecord("B")).toMatchObject({ state: "finished", milli: 20_000, amountMinor: 37980 });
  await again.driver.resolveSale("B", "ours"); // idempotent
  await expect(again.driver.resolveSale("B", "not-ours")).rejects.toMatchObject({ code: "CONFLICT" }); // decided: ours
  await expect(again.driver.resolveSale("nope", "ours")).rejects.toMatchObject({ code: "NOT_FOUND" });
});

it("R4-3: `disown` gives a parked sale up without touching the pump: nothing to charge, never stopped or closed by us", async () => {
  const twin = await startTwin({ userId: 1 });
  const d = await openDriver(twin, { controllerUserId: 1 });
  cleanup(() => d.driver.close(), () => twin.close());
  twin.liftNozzle(1, 1);
  await d.events.waitFor((e) => e.type === "call");
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  expect(await failure(d.driver.authorize(sale("B")))).toBe("PTS_OWNERSHIP_UNKNOWN");
  twin.deliver(1, 5_000); // still filling when the technician decides
  await d.driver.resolveSale("B", "not-ours");
  expect(await d.driver.saleRecord("B")).toBeUndefined();
  await d.driver.settled("B"); // the flow ends: nothing charged, and a refused record stops nothing
  twin.deliver(1, 5_000);
  expect(twin.pumps.pumps.get(1)!.current).toMatchObject({ state: "Filling", milli: 10_000 });
  expect(twin.received.filter((p) => p.Type === "PumpStop" || p.Type === "PumpEmergencyStop")).toEqual([]);
});

it("R4-2: judged by the journaled evidence — sent as the corroborated user 1, read back after the technician moved the agent to user 3: ours (never 'foreign' on today's config)", async () => {
  const twin = await startTwin({ userId: 1 });
  const first = await openDriver(twin);
  twin.liftNozzle(1, 1);
  await first.events.waitFor((e) => e.type === "call");
  // Our authorization lands, its answer is lost and the controller cannot be asked right then.
  twin.inject({ type: "drop-answer", packetType: "PumpAuthorize" });
  const info = twin.pumps.transactionInfo.bind(twin.pumps);
  let probes = 0;
  twin.pumps.transactionInfo = (d) => (++probes > 1 ? { ok: false, code: 41 } : info(d));
  expect(await failure(first.driver.authorize(sale("OURS")))).not.toBe("ok");
  await first.driver.close(); // still unresolved: the record says "authorizing", sent as user 1 (corroborated)
  expect(((await first.store.get("tx/OURS")) as TxRecord).sentAs).toMatchObject({ userId: 1, trusted: true });
  twin.pumps.transactionInfo = info;
  twin.deliver(1, 20_000);
  twin.hangUp(1);
  const moved = await openDriver(twin, { controllerUserId: 3 }, first.store); // new login for the agent (user 3), restart
  cleanup(() => moved.driver.close(), () => twin.close());
  expect(await moved.driver.saleRecord("OURS")).toMatchObject({ state: "finished", milli: 20_000 });
  expect(codes(moved.events.events)).toEqual([]);
});

it("evidence rule: journaled evidence wins; a record sent before the id was corroborated takes a later corroboration of the SAME id and login only while no person was called; doubt never upgrades", async () => {
  const store = new MemoryDriverStore();
  const u = new OwnUser(store, 1, log, "agent");
  await u.load();
  const base = { flowId: "F", point: 1, pump: 1, transaction: 9, nozzle: 1, gradeId: "95", ptsFuelGradeId: 1, priceMinor: 1899, limitMinor: 50000, phase: "authorizing", at: 0 } as TxRecord;
  const info = { pump: 1, transaction: 9, state: "Finished", milli: 1000, amountMinor: 1899, userId: 1 } as const;
  const unverified = { ...base, sentAs: u.evidence() };
  expect(unverified.sentAs).toMatchObject({ userId: 1, login: "agent", trusted: false, gap: "unverified" });
  expect(ownershipOf(unverified, info, u).ours).toBe("unknown");
  await u.confirmed(1); // our next confirmed authorization carries 1
  expect(evidenceFor(unverified, u)).toMatchObject({ trusted: true });
  expect(ownershipOf(unverified, info, u).ours).toBe(true); // the agent killed between our confirmed answer and its journal write
  expect(ownershipOf({ ...unverified, ownershipUnknownAt: 5 }, info, u).ours).toBe("unknown"); // parked: a person decides
  expect(ownershipOf({ ...unverified, sentAs: { ...unverified.sentAs, login: "old" } }, info, u).ours).toBe("unknown"); // another login then
  expect(ownershipOf({ ...unverified, sentAs: { userId: 1, trusted: false, gap: "doubt", why: "shared" } }, info, u).ours).toBe("unknown");
  const trusted = { ...base, sentAs: u.evidence() };
  expect(ownershipOf(trusted, { ...info, userId: 2 }, u).ours).toBe(false);
  const moved = new OwnUser(store, 3, log, "agent3"); // today's config says 3; the record was sent as 1
  await moved.load();
  expect(ownershipOf(trusted, info, moved).ours).toBe(true);
  expect(ownershipOf(trusted, { ...info, userId: 3 }, moved).ours).toBe(false);
  expect(ownershipOf({ ...trusted, claimedAt: 1 }, { ...info, userId: undefined }, moved).ours).toBe(true);
  // The controller's own word on our login corroborates: after PTS_USER_MISMATCH (configured 1,
  // confirmed 7), setting controllerUserId 7 is trusted without another sale.
  const s2 = new MemoryDriverStore();
  const wrong = new OwnUser(s2, 1, log);
  await wrong.load();
  expect(await wrong.confirmed(7)).toEqual({ configured: 1, confirmed: 7 });
  expect(wrong.evidence()).toMatchObject({ trusted: false, gap: "doubt" });
  const fixed = new OwnUser(s2, 7, log);
  await fixed.load();
  expect(fixed.evidence()).toMatchObject({ userId: 7, trusted: true });
});

it("R4-3/R4-4: `ctl resolve` takes claim and disown, and the alarms that park a sale name them; none sends the technician to `systemctl reload` for the devices section", async () => {
  const { COMMANDS } = await import("../../../agent/daemon/sockets/commands.ts");
  const { PTS_FAULTS } = await import("../../../drivers/pts2/alarms.ts");
  const resolve = COMMANDS.find((c) => c.name === "resolve")!;
  for (const action of ["claim", "disown", "retry", "mark-settled", "cancel"]) expect(resolve.args.safeParse({ flowId: "F", action }).success, action).toBe(true);
  for (const code of ["PTS_OWNERSHIP_UNKNOWN", "PTS_USER_MISMATCH", "PTS_USER_SHARED"]) expect(PTS_FAULTS[code]!.action, code).toMatch(/ctl resolve FLOW claim.*disown/);
  for (const [code, f] of Object.entries(PTS_FAULTS)) expect(f.action, code).not.toMatch(/systemctl reload/);
});
