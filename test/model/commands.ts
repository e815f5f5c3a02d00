// The campaign's vocabulary: what can happen at a station, as fast-check commands. Customers
// arrive at pumps, chargers and the kiosk; Glase misbehaves (armed faults, slow periods); the
// board loses its link, fails a stop, overruns; the engine is SIGKILLed and restarted; the
// technician stops points, refunds, reconciles and resolves parked flows. Each command then lets
// some time pass and the step invariants are checked. Printed forms replay by reading.
import fc from "fast-check";
import type { ParkedAction } from "../../agent/engine-api.ts";
import type { PointId } from "../../drivers/dispenser/contract.ts";
import type { AppPlan, FuelPlan } from "./customers.ts";
import type { StopFault } from "./dispenser-model.ts";
import { type WireFault, WIRE_FAULTS } from "./glase-wire.ts";
import type { Invariants } from "./invariants.ts";
import { SHOP_REPORTS, TERMINAL_REPORTS } from "./glase-reports.ts";
import { KIOSK_POINT, TERMINALS, type World } from "./world.ts";
import type { ReleaseKind, ReleasePlan } from "./kiosk-sales.ts";

/** What a command runs against: the world and its judge. */
export interface Run {
  readonly w: World;
  readonly inv: Invariants;
  steps: number;
}

export class ModelViolation extends Error {}

type Cmd = fc.AsyncCommand<object, Run>;
export type CmdName = "fuel" | "kiosk" | "glaseFault" | "slow" | "link" | "board" | "pause" | "kill" | "killAt" | "stop" | "resume" | "refund" | "reconcile" | "resolve" | "advance" | "wallStep" | "jam" | "sale" | "saleCancel";

/** Runs one command: the action, then `afterMs` of world time, then the step invariants. */
abstract class Step implements Cmd {
  constructor(readonly afterMs: number) {}
  check(): boolean {
    return true;
  }
  abstract act(r: Run): Promise<void> | void;
  abstract label(): string;
  async run(_m: object, r: Run): Promise<void> {
    r.steps++;
    if (r.w.engine) await this.act(r);
    await r.w.advance(this.afterMs);
    r.inv.step();
    if (r.w.violations.length > 0) throw new ModelViolation(r.w.violations.map((v) => `${v.code}: ${v.message}`).join("\n"));
  }
  toString(): string {
    return `${this.label()}${this.afterMs ? ` +${this.afterMs}ms` : ""}`;
  }
}

export class Fuel extends Step {
  constructor(readonly plan: FuelPlan, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.customers.arrive(this.plan);
  }
  label(): string {
    const p = this.plan;
    return `Fuel(p${p.point} preset=${p.presetMinor ?? "-"} app=${p.app.action}@${p.app.afterMs} lift=${p.liftAfterMs ?? "never"} ${p.targetMilli}/${p.perTickMilli}per${p.tickMs} hang=${p.hangUpAfterMs})`;
  }
}

export class Kiosk extends Step {
  constructor(readonly amountMinor: number, readonly app: AppPlan, afterMs: number) {
    super(afterMs);
  }
  async act(r: Run): Promise<void> {
    r.w.customers.expectInvoice(r.w.terminalOf(KIOSK_POINT), this.app);
    await r.w.engine!.startPosPayment(KIOSK_POINT, this.amountMinor).catch(() => undefined); // busy/closed: the buyer walks away
  }
  label(): string {
    return `Kiosk(${this.amountMinor} app=${this.app.action}@${this.app.afterMs})`;
  }
}

/** A sale through the engine-backed KioskHost: the customer pays (or not) at Glase, the controller releases per plan. */
export class Sale extends Step {
  constructor(readonly amountMinor: number, readonly app: AppPlan, readonly plan: ReleasePlan, afterMs: number) {
    super(afterMs);
  }
  async act(r: Run): Promise<void> {
    r.w.customers.expectInvoice(r.w.terminalOf(KIOSK_POINT), this.app);
    await r.w.sales.request(this.amountMinor, this.plan);
  }
  label(): string {
    const p = this.plan;
    return `Sale(${this.amountMinor} app=${this.app.action}@${this.app.afterMs} release=${p.kind}${p.percent !== undefined ? `:${p.percent}%` : ""}@${p.afterMs})`;
  }
}

/** The kiosk's customer (or its controller) cancels the open sale. */
export class SaleCancel extends Step {
  constructor(readonly by: "customer" | "controller", afterMs: number) {
    super(afterMs);
  }
  async act(r: Run): Promise<void> {
    await r.w.sales.cancel(this.by);
  }
  label(): string {
    return `SaleCancel(${this.by})`;
  }
}

export class GlaseFault extends Step {
  constructor(readonly terminal: string | undefined, readonly op: string | undefined, readonly fault: WireFault, readonly count: number, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.wire.arm({ ...(this.terminal ? { terminal: this.terminal } : {}), ...(this.op ? { op: this.op } : {}), fault: this.fault, count: this.count });
  }
  label(): string {
    return `GlaseFault(${this.fault}x${this.count} ${this.op ?? "*"} on ${this.terminal ?? "*"})`;
  }
}

export class Slow extends Step {
  constructor(readonly terminal: string, readonly ms: number, readonly forMs: number, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.wire.slowUntil.set(this.terminal, { ms: this.ms, until: r.w.clock.mono + this.forMs });
  }
  label(): string {
    return `Slow(${this.terminal} +${this.ms}ms for ${this.forMs}ms)`;
  }
}

export class LinkDrop extends Step {
  constructor(readonly forMs: number, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.board.setLink(false);
    r.w.clock.schedule(this.forMs, () => r.w.board.setLink(true), "world-link");
  }
  label(): string {
    return `LinkDrop(${this.forMs}ms)`;
  }
}

type BoardKind = StopFault | "saleFails" | "authLost" | "overrun";
export class BoardFault extends Step {
  constructor(readonly point: PointId, readonly kind: BoardKind, readonly n: number, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    const p = r.w.board.point(this.point);
    if (this.kind === "saleFails") p.saleFails += this.n;
    else if (this.kind === "authLost") p.authLost += 1;
    else if (this.kind === "overrun") p.overrunMilli = this.n;
    else p.stopFaults.push(this.kind);
  }
  label(): string {
    return `Board(p${this.point} ${this.kind}${this.kind === "saleFails" || this.kind === "overrun" ? ` ${this.n}` : ""})`;
  }
}

export class Pause extends Step {
  constructor(readonly point: PointId, readonly ms: number, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.customers.pause(this.point, this.ms);
  }
  label(): string {
    return `Pause(p${this.point} ${this.ms}ms)`;
  }
}

export class Kill extends Step {
  constructor(readonly dropInFlight: boolean, readonly downMs: number, afterMs: number) {
    super(afterMs);
  }
  async act(r: Run): Promise<void> {
    await r.w.kill(this.dropInFlight);
    await r.w.onKilled?.();
    await r.w.advance(this.downMs);
    await r.w.boot();
  }
  label(): string {
    return `Kill(${this.dropInFlight ? "drop in-flight" : "in-flight arrive"}, down ${this.downMs}ms)`;
  }
}

/** SIGKILL the moment some flow enters `phase` (its transition journaled, its effects just issued). */
export class KillAt extends Step {
  constructor(readonly phase: string, readonly dropInFlight: boolean, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.killAt = { phase: this.phase, dropInFlight: this.dropInFlight, due: false };
  }
  label(): string {
    return `KillAt(${this.phase}, ${this.dropInFlight ? "drop in-flight" : "in-flight arrive"})`;
  }
}

export class Technician extends Step {
  constructor(readonly what: "stop" | "resume" | "refund" | "reconcile" | "resolve", readonly args: Record<string, string | number>, afterMs: number) {
    super(afterMs);
  }
  async act(r: Run): Promise<void> {
    const w = r.w;
    const engine = w.engine!;
    const gen = w.gen;
    const track = (kind: "refund" | "reconciliation", request: Record<string, unknown>, p: Promise<object>) => {
      const rec: (typeof w.tech)[number] = { kind, gen: gen.id, at: w.clock.mono, request };
      w.tech.push(rec);
      p.then(
        (value) => gen.alive && (rec.outcome = { ok: true, value: value as Record<string, unknown> }),
        (e: { code?: string; context?: Record<string, unknown> }) => gen.alive && (rec.outcome = { ok: false, error: { ...(e.code ? { code: e.code } : {}), ...(e.context ? { context: e.context } : {}) } }),
      );
    };
    const point = Number(this.args.point ?? 1);
    switch (this.what) {
      case "stop":
        w.stopped.set(point, w.clock.stamp());
        await engine.stopPoint(point).catch(() => undefined);
        return;
      case "resume":
        w.stopped.delete(point);
        await engine.resumePoint(point).catch(() => undefined);
        return;
      case "refund": {
        const paid = [...w.model.invoices.values()].filter((i) => i.status === "PAID");
        const inv = paid.length > 0 ? paid[Number(this.args.pick) % paid.length]! : undefined;
        const amountMinor = inv ? Math.max(1, Math.round((inv.paidMinor! * Number(this.args.percent)) / 100)) : 100;
        const req = { terminal: inv?.terminalId ?? TERMINALS[3]!.terminalId, ersReference: inv?.ersReference ?? "ERS-UNKNOWN", amountMinor };
        // The daemon serialises a technician's refund of a kiosk payment with the kiosk host's own
        // refunds through one RefundGuard (agent/daemon/compose.ts); the model wires it the same way.
        const guarded = inv && inv.terminalId === TERMINALS[3]!.terminalId && w.refundGuard;
        track("refund", req, guarded ? guarded.refund({ ersReference: req.ersReference, amountMinor, paidMinor: inv.paidMinor!, currency: "SEK" }, () => engine.startRefund(req)) : engine.startRefund(req));
        return;
      }
      case "reconcile": {
        const scope = this.args.scope === "shop" ? "shop" : "terminal";
        const req = { scope, terminal: TERMINALS[Number(this.args.terminal) % TERMINALS.length]!.terminalId, reportId: String(this.args.reportId) } as const;
        track("reconciliation", req, engine.startReconciliation(scope === "shop" ? { scope, reportId: req.reportId } : req));
        return;
      }
      case "resolve": {
        const parked = engine.snapshot().flows.filter((f) => f.parked);
        const f = parked[Number(this.args.pick) % Math.max(1, parked.length)];
        if (f && this.args.action === "mark-settled") w.markedSettled.add(f.flowId);
        if (f) await engine.resolveParked(f.flowId, this.args.action as ParkedAction).catch(() => undefined);
        return;
      }
    }
  }
  label(): string {
    return `Tech.${this.what}(${Object.entries(this.args).map(([k, v]) => `${k}=${v}`).join(" ")})`;
  }
}

export class Advance extends Step {
  act(): void {}
  label(): string {
    return "Advance";
  }
}

export class WallStep extends Step {
  constructor(readonly ms: number, afterMs: number) {
    super(afterMs);
  }
  act(r: Run): void {
    r.w.clock.wallOffset += this.ms;
  }
  label(): string {
    return `WallStep(${this.ms}ms)`;
  }
}

export class Jam extends Step {
  act(r: Run): void {
    r.w.releaseFails++;
  }
  label(): string {
    return "ReleaseJam";
  }
}

// ---- arbitraries --------------------------------------------------------------------------------

export interface GenConfig {
  readonly weights: Readonly<Record<CmdName, number>>;
  readonly faults: readonly WireFault[];
  readonly maxCommands: number;
  /** 90 after processing on every operation (default: only refundPayment, where issue 9 #6 calls 90 ambiguous). */
  readonly ambiguous90Everywhere?: boolean;
  /** Largest extra one-way latency of a slow period (default 4 s: the fault bench's spikes are ≤ 3 s). */
  readonly maxSlowMs?: number;
}

export const DEFAULT_WEIGHTS: Readonly<Record<CmdName, number>> = {
  fuel: 8, kiosk: 4, glaseFault: 6, slow: 1, link: 2, board: 2, pause: 2, kill: 2, killAt: 3,
  stop: 1, resume: 1, refund: 2, reconcile: 2, resolve: 2, advance: 6, wallStep: 0, jam: 1,
  sale: 4, saleCancel: 1,
};

export const DEFAULT_GEN: GenConfig = { weights: DEFAULT_WEIGHTS, faults: WIRE_FAULTS, maxCommands: 30 };

const after = fc.oneof(fc.constant(0), fc.constantFrom(200, 1000, 3000), fc.integer({ min: 1000, max: 30_000 }), fc.integer({ min: 30_000, max: 400_000 }));
const appPlan: fc.Arbitrary<AppPlan> = fc.record({
  action: fc.oneof({ arbitrary: fc.constant("confirm" as const), weight: 12 }, fc.constantFrom("slow" as const, "reject" as const, "decline" as const, "never" as const)),
  afterMs: fc.oneof(fc.constant(0), fc.integer({ min: 500, max: 40_000 }), fc.integer({ min: 40_000, max: 75_000 })),
});
const KILL_PHASES = [
  "sending-invoice", "resolving-send", "awaiting-reservation", "canceling", "authorizing", "authorized", "delivering", "stopping", "checking-sale",
  "updating", "committing", "checking-commit", "printing", "polling", "releasing", "pre-marking", "refunding", "marking", "waiting", "reporting",
  // The kiosk host's own journal rows (agent/kiosk/sale-record.ts): kill right after each is written.
  "sale:starting", "sale:waiting", "sale:paid", "sale:refunding", "sale:refunded", "sale:delivered", "sale:attention", "sale:cancelled",
];
const OPS = ["sendInvoice", "getPaymentStatus", "updateInvoice", "cancelInvoice", "commitReservation", "refundPayment", "markTransactionPeriod", "executeReport"];

const releasePlan: fc.Arbitrary<ReleasePlan> = fc
  .record({
    kind: fc.oneof({ arbitrary: fc.constant<ReleaseKind>("delivered"), weight: 4 }, fc.constantFrom<ReleaseKind>("failed", "partial", "unknown", "never", "late")),
    afterMs: fc.oneof(fc.constant(0), fc.integer({ min: 200, max: 60_000 })),
    percent: fc.integer({ min: 1, max: 99 }),
  })
  .map(({ percent, ...p }) => (p.kind === "partial" ? { ...p, percent } : p));

function fuelPlan(): fc.Arbitrary<FuelPlan> {
  return fc.integer({ min: 1, max: 3 }).chain((point) => {
    const ev = point === 3;
    return fc.record({
      point: fc.constant(point),
      presetMinor: fc.option(fc.integer({ min: 500, max: 60_000 }), { nil: undefined }),
      app: appPlan,
      liftAfterMs: fc.option(fc.integer({ min: 0, max: 60_000 }), { freq: 12, nil: undefined }),
      targetMilli: ev ? fc.integer({ min: 500, max: 12_000 }) : fc.integer({ min: 0, max: 45_000 }),
      perTickMilli: ev ? fc.integer({ min: 5, max: 60 }) : fc.integer({ min: 200, max: 1500 }),
      tickMs: fc.constant(ev ? 5000 : 1000),
      hangUpAfterMs: fc.integer({ min: 0, max: 8000 }),
    }).map((p) => (p.presetMinor === undefined ? (({ presetMinor: _x, ...rest }) => rest)(p) : p) as FuelPlan);
  });
}

export function commandArbitraries(g: GenConfig): fc.Arbitrary<Cmd>[] {
  const term = fc.constantFrom(undefined, ...TERMINALS.map((t) => t.terminalId), "shop");
  const point = fc.integer({ min: 1, max: 3 });
  const entries: [CmdName, fc.Arbitrary<Cmd>][] = [
    ["fuel", fc.tuple(fuelPlan(), after).map(([p, a]) => new Fuel(p, a))],
    ["kiosk", fc.tuple(fc.integer({ min: 100, max: 20_000 }), appPlan, after).map(([m, app, a]) => new Kiosk(m, app, a))],
    ["sale", fc.tuple(fc.integer({ min: 100, max: 20_000 }), appPlan, releasePlan, after).map(([m, app, plan, a]) => new Sale(m, app, plan, a))],
    ["saleCancel", fc.tuple(fc.constantFrom("customer" as const, "controller" as const), after).map(([by, a]) => new SaleCancel(by, a))],
    ["glaseFault", fc.tuple(term, fc.option(fc.constantFrom(...OPS), { nil: undefined }), fc.constantFrom(...g.faults), fc.integer({ min: 1, max: 6 }), after).map(([t, op, f, n, a]) => new GlaseFault(t, f === "applied90" && !g.ambiguous90Everywhere ? "refundPayment" : op, f, n, a))],
    ["slow", fc.tuple(fc.constantFrom("*", ...TERMINALS.map((t) => t.terminalId)), fc.integer({ min: 300, max: g.maxSlowMs ?? 4000 }), fc.integer({ min: 5000, max: 120_000 }), after).map(([t, ms, f, a]) => new Slow(t, ms, f, a))],
    ["link", fc.tuple(fc.oneof(fc.integer({ min: 1000, max: 150_000 }), fc.integer({ min: 150_000, max: 900_000 })), after).map(([f, a]) => new LinkDrop(f, a))],
    ["board", fc.tuple(point, fc.constantFrom<BoardKind>("fails", "lost", "late", "saleFails", "authLost", "overrun"), fc.integer({ min: 1, max: 6 }), after).map(([p, k, n, a]) => new BoardFault(p, k, k === "overrun" ? n * 400 : n, a))],
    ["pause", fc.tuple(point, fc.integer({ min: 5000, max: 120_000 }), after).map(([p, ms, a]) => new Pause(p, ms, a))],
    ["kill", fc.tuple(fc.boolean(), fc.constantFrom(0, 500, 3000), after).map(([d, down, a]) => new Kill(d, down, a))],
    ["killAt", fc.tuple(fc.constantFrom(...KILL_PHASES), fc.boolean(), after).map(([ph, d, a]) => new KillAt(ph, d, a))],
    ["stop", fc.tuple(point, after).map(([p, a]) => new Technician("stop", { point: p }, a))],
    ["resume", fc.tuple(point, after).map(([p, a]) => new Technician("resume", { point: p }, a))],
    ["refund", fc.tuple(fc.nat(20), fc.constantFrom(25, 50, 100, 120), after).map(([pick, percent, a]) => new Technician("refund", { pick, percent }, a))],
    [
      "reconcile",
      fc.tuple(fc.constantFrom("shop", "terminal"), fc.nat(3), after).chain(([scope, terminal, a]) =>
        fc.constantFrom(...(scope === "shop" ? SHOP_REPORTS : TERMINAL_REPORTS)).map((reportId) => new Technician("reconcile", { scope, terminal, reportId }, a)),
      ),
    ],
    ["resolve", fc.tuple(fc.nat(5), fc.constantFrom("retry", "cancel", "mark-settled"), after).map(([pick, action, a]) => new Technician("resolve", { pick, action }, a))],
    ["advance", fc.integer({ min: 1000, max: 600_000 }).map((a) => new Advance(a))],
    ["wallStep", fc.tuple(fc.constantFrom(-3_600_000, -600_000, 600_000, 3_600_000), after).map(([ms, a]) => new WallStep(ms, a))],
    ["jam", after.map((a) => new Jam(a))],
  ];
  const weighted = entries.filter(([name]) => g.weights[name] > 0).map(([name, arbitrary]) => ({ arbitrary, weight: g.weights[name] }));
  return [fc.oneof(...weighted)];
}
