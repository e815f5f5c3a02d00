// One DispenserController over the station's several controllers: every command goes to the
// controller that owns its point, every event comes out tagged with the controller it came from
// (a link change names the points it concerns, so a charger listener going down does not hold the
// pumps of the line board). The engine keeps talking to one controller and stays unaware of how
// many there are or which protocol each speaks.
//
// saleRecord has no point: the router remembers which controller a transaction was authorized
// on; after a restart it asks every controller, and "no record" is the answer only when every
// controller answered without one (a controller that could not be asked makes it a failure, which
// the flow retries — never a wrong "nothing was delivered").
import { AgentError } from "../../base/errors.ts";
import type { AuthorizeCommand, ControllerInfo, DispenserController, DispenserEvent, Grade, PointId, PointStatus, SaleRecord, SaleVerdict, Unsubscribe } from "../../contracts/dispenser.ts";

export interface RoutedController {
  readonly id: string;
  readonly points: readonly PointId[];
  readonly dispenser: DispenserController;
}

export class PointRouter implements DispenserController {
  private readonly byPoint = new Map<PointId, RoutedController>();
  private readonly byTransaction = new Map<string, RoutedController>();

  constructor(private readonly controllers: readonly RoutedController[]) {
    for (const c of controllers) {
      for (const p of c.points) {
        const other = this.byPoint.get(p);
        if (other) throw new AgentError("CONFIG_INVALID", `point ${p} is driven by both controller '${other.id}' and '${c.id}'`, { point: p });
        this.byPoint.set(p, c);
      }
    }
  }

  private owner(point: PointId): RoutedController {
    const c = this.byPoint.get(point);
    if (!c) throw new AgentError("DEVICE_REJECTED", `no controller drives point ${point}`, { point });
    return c;
  }

  onEvent(listener: (event: DispenserEvent) => void): Unsubscribe {
    const offs = this.controllers.map((c) =>
      c.dispenser.onEvent((e) => {
        if (e.type === "link") listener({ ...e, controller: c.id, points: c.points });
        else if (e.type === "fault") listener({ ...e, controller: c.id });
        else if (this.byPoint.get(e.point) === c) listener(e);
        // An event for a point this controller does not own (a misconfigured device) is not routed.
      }),
    );
    return () => offs.forEach((off) => off());
  }

  async hello(): Promise<ControllerInfo> {
    const answers = await Promise.allSettled(this.controllers.map((c) => c.dispenser.hello()));
    const ok = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
    if (ok.length === 0 && this.controllers.length > 0) throw (answers[0] as PromiseRejectedResult).reason;
    return {
      protocolVersion: ok.map((i) => i.protocolVersion).join(", "),
      firmware: ok.map((i) => i.firmware).join(", "),
      points: this.byPoint.size,
    };
  }

  async status(): Promise<readonly PointStatus[]> {
    const all = await Promise.all(
      this.controllers.map((c) =>
        // A controller that does not answer shows its points offline; the others still report.
        c.dispenser.status().then(
          (list) => list.filter((s) => this.byPoint.get(s.point) === c),
          () => c.points.map((point): PointStatus => ({ point, state: "offline", nozzleUp: false })),
        ),
      ),
    );
    return all.flat().sort((a, b) => a.point - b.point);
  }

  async prices(): Promise<readonly Grade[]> {
    const all = await Promise.allSettled(this.controllers.map((c) => c.dispenser.prices()));
    const seen = new Map<string, Grade>();
    for (const a of all) if (a.status === "fulfilled") for (const g of a.value) if (!seen.has(g.id)) seen.set(g.id, g);
    return [...seen.values()];
  }

  async authorize(cmd: AuthorizeCommand): Promise<void> {
    const c = this.owner(cmd.point);
    this.byTransaction.set(cmd.transactionId, c);
    await c.dispenser.authorize(cmd);
  }

  async stop(point: PointId): Promise<void> {
    return this.owner(point).dispenser.stop(point);
  }

  async display(point: PointId, text: string): Promise<void> {
    return this.owner(point).dispenser.display(point, text);
  }

  async saleRecord(transactionId: string): Promise<SaleRecord | undefined> {
    const known = this.byTransaction.get(transactionId);
    if (known) return known.dispenser.saleRecord(transactionId);
    const answers = await Promise.allSettled(this.controllers.map((c) => c.dispenser.saleRecord(transactionId)));
    for (const [i, a] of answers.entries()) {
      if (a.status === "fulfilled" && a.value !== undefined) {
        this.byTransaction.set(transactionId, this.controllers[i]!);
        return a.value;
      }
    }
    const failed = answers.find((a): a is PromiseRejectedResult => a.status === "rejected");
    if (failed) throw failed.reason;
    return undefined;
  }

  async settled(transactionId: string): Promise<void> {
    const known = this.byTransaction.get(transactionId);
    this.byTransaction.delete(transactionId);
    const targets = known ? [known] : this.controllers;
    await Promise.all(targets.map((c) => c.dispenser.settled?.(transactionId)));
  }

  replayAlarms(since?: number): void {
    for (const c of this.controllers) c.dispenser.replayAlarms?.(since);
  }

  /** To the controller that knows the transaction: the first that does not answer NOT_FOUND. */
  async resolveSale(transactionId: string, verdict: SaleVerdict): Promise<void> {
    const known = this.byTransaction.get(transactionId);
    const targets = (known ? [known] : this.controllers).filter((c) => c.dispenser.resolveSale !== undefined);
    for (const c of targets) {
      try {
        await c.dispenser.resolveSale!(transactionId, verdict);
        return;
      } catch (err) {
        if (!(err instanceof AgentError && err.code === "NOT_FOUND")) throw err;
      }
    }
    throw new AgentError("NOT_FOUND", `no controller of this station holds a sale of flow ${transactionId} waiting for an ownership decision`, { transactionId });
  }

  /** The controllers are closed by the device layer that opened them. */
  async close(): Promise<void> {
    this.byTransaction.clear();
  }
}
