// The grades as the agent configured them next to what the controller says: which FuelGradeId each
// nozzle of each pump delivers, at which price. The configured price is the one the agent charges;
// a controller price that differs is a mismatch the driver raises as a fault (and, by default,
// refuses to authorize that grade) — a customer is never charged a price nobody chose.
import type { DispenserEvent, Grade } from "../../contracts/dispenser.ts";
import type { Pts2Grade } from "./config.ts";
import type { ControllerGrade } from "./decode-config.ts";

/** Prices here are in price units (units.ts: minor units unless priceDigits is set). */
export interface PriceMismatch {
  readonly gradeId: string;
  readonly ptsFuelGradeId: number;
  readonly configuredMinor: number;
  /** undefined: the controller has no such grade. */
  readonly controllerMinor: number | undefined;
}

export class GradeCatalog {
  private readonly byId = new Map<string, Pts2Grade>();
  private readonly byPtsId = new Map<number, Pts2Grade>();
  private controller = new Map<number, ControllerGrade>();
  private nozzles = new Map<number, readonly number[]>();
  private loaded = false;
  private lastMismatches = "";

  constructor(grades: readonly Pts2Grade[]) {
    for (const g of grades) {
      this.byId.set(g.id, g);
      this.byPtsId.set(g.ptsFuelGradeId, g);
    }
  }

  /** Takes the controller's fuel grades and nozzle assignment; `changed` when the mismatches differ from last time. */
  update(controllerGrades: readonly ControllerGrade[], nozzles: ReadonlyMap<number, readonly number[]>): { mismatches: PriceMismatch[]; changed: boolean } {
    this.controller = new Map(controllerGrades.map((g) => [g.id, g]));
    this.nozzles = new Map(nozzles);
    this.loaded = true;
    const mismatches = this.mismatches();
    const key = JSON.stringify(mismatches);
    const changed = key !== this.lastMismatches;
    this.lastMismatches = key;
    return { mismatches, changed };
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  mismatches(): PriceMismatch[] {
    const out: PriceMismatch[] = [];
    for (const g of this.byId.values()) {
      const c = this.controller.get(g.ptsFuelGradeId);
      if (c?.priceMinor !== g.priceUnits) out.push({ gradeId: g.id, ptsFuelGradeId: g.ptsFuelGradeId, configuredMinor: g.priceUnits, controllerMinor: c?.priceMinor });
    }
    return out;
  }

  mismatchOf(gradeId: string): PriceMismatch | undefined {
    return this.mismatches().find((m) => m.gradeId === gradeId);
  }

  configured(gradeId: string): Pts2Grade | undefined {
    return this.byId.get(gradeId);
  }

  ofFuelGrade(ptsFuelGradeId: number): Pts2Grade | undefined {
    return this.byPtsId.get(ptsFuelGradeId);
  }

  /** FuelGradeId delivered by nozzle n (1-based) of a pump, if configured on the controller. */
  fuelGradeOfNozzle(pump: number, nozzle: number): number | undefined {
    const id = this.nozzles.get(pump)?.[nozzle - 1];
    return id === undefined || id === 0 ? undefined : id;
  }

  gradeOfNozzle(pump: number, nozzle: number): string | undefined {
    const id = this.fuelGradeOfNozzle(pump, nozzle);
    return id === undefined ? undefined : this.byPtsId.get(id)?.id;
  }

  /** The nozzle of a pump that delivers an agent grade. */
  nozzleFor(pump: number, gradeId: string): number | undefined {
    const g = this.byId.get(gradeId);
    const ids = this.nozzles.get(pump);
    if (!g || !ids) return undefined;
    const i = ids.indexOf(g.ptsFuelGradeId);
    return i < 0 ? undefined : i + 1;
  }

  /** Nozzles configured on a pump. */
  nozzlesOf(pump: number): number[] {
    return (this.nozzles.get(pump) ?? []).flatMap((id, i) => (id === 0 ? [] : [i + 1]));
  }

  /** The grades as the flows see them: configured names, VAT and prices. */
  asGrades(): Grade[] {
    return [...this.byId.values()].map((g) => ({ id: g.id, name: g.name, unit: g.unit, unitPriceMinor: g.unitPriceMinor, vatRatePercent: g.vatRatePercent }));
  }
}

/** The alarm for a mismatch: a controller-wide fault (no point: it must not stop a running fill). */
export function mismatchFault(m: PriceMismatch, policy: "refuse" | "charge-configured"): DispenserEvent {
  const message =
    m.controllerMinor === undefined
      ? `grade ${m.gradeId}: the controller has no fuel grade ${m.ptsFuelGradeId}`
      : `grade ${m.gradeId}: controller price ${m.controllerMinor} differs from the configured ${m.configuredMinor}${policy === "refuse" ? "; the grade is not sold until they agree" : "; selling at the configured price"}`;
  return { type: "fault", point: null, code: "PTS_PRICE_MISMATCH", message };
}
