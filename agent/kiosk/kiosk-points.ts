// The kiosk points as the host shows them: the configured points without their terminals (what a
// controller sees), each with the Glase ID sticker its terminal was assigned (assign-id), and the
// terminal a sale's journal rows belong to. Apart from the host so the sale book and the host
// read the same points.
import type { KioskPoint } from "../../contracts/kiosk.ts";
import type { EngineKioskHostOptions } from "./host-options.ts";

export class KioskPoints {
  /** What controllers see of a point (not its terminal). */
  private readonly publicPoints: readonly KioskPoint[];
  /** Stored Glase IDs (assign-id), over the configured ones. */
  private readonly glaseIds = new Map<number, string>();

  constructor(private readonly o: Pick<EngineKioskHostOptions, "points">) {
    this.publicPoints = o.points.map(({ terminalId: _t, ...p }) => p);
  }

  points(): readonly KioskPoint[] {
    return this.publicPoints.map((p) => this.withGlaseId(p));
  }

  /**
   * The Glase ID sticker bound to a point's terminal (assign-id, kept with its stored credentials):
   * what the customer is told to scan, from the point's next sale change on (a sale's display only
   * changes with a new, journaled version of it).
   */
  setGlaseId(point: number, glaseId: string | undefined): void {
    if (glaseId === undefined) this.glaseIds.delete(point);
    else this.glaseIds.set(point, glaseId);
  }

  withGlaseId<P extends KioskPoint>(p: P): P {
    const id = this.glaseIds.get(p.id);
    return id === undefined ? p : { ...p, glaseId: id };
  }

  pointOf(point: number): KioskPoint {
    return this.withGlaseId(this.o.points.find((p) => p.id === point)!);
  }

  terminalOf(point: number): string | undefined {
    return this.o.points.find((p) => p.id === point)?.terminalId;
  }
}
