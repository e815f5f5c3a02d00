// Which nozzle and grade an authorization is for, and whether the agent may sell it now: the
// checks PumpAuthorize needs before anything is journaled (driver.ts authorize()).
import { AgentError } from "../../base/errors.ts";
import type { AuthorizeCommand } from "../../contracts/dispenser.ts";
import type { Pts2Config } from "./config.ts";
import type { PumpObservation } from "./decode-status.ts";
import type { GradeCatalog } from "./grades.ts";

export interface AuthorizePlan {
  readonly nozzle: number;
  readonly grade: NonNullable<ReturnType<GradeCatalog["configured"]>>;
}

/**
 * The lifted nozzle wins (the customer holds it); else the nozzle of the requested grade; else the
 * only nozzle. Refused: an offline pump, no nozzle or grade to sell, or (priceMismatch: refuse) a
 * grade whose controller price is not the configured one.
 */
export function planAuthorization(catalog: GradeCatalog, config: Pick<Pts2Config, "priceMismatch">, pump: number, cmd: AuthorizeCommand, obs: PumpObservation | undefined): AuthorizePlan {
  if (obs?.kind === "offline") throw new AgentError("DEVICE_REJECTED", `pump ${pump} is offline`, { point: cmd.point, pump, code: "PTS_PUMP_OFFLINE" });
  const lifted = obs?.kind === "idle" && obs.nozzleUp > 0 ? obs.nozzleUp : undefined;
  const nozzles = catalog.nozzlesOf(pump);
  const nozzle = lifted ?? (cmd.gradeId !== undefined ? catalog.nozzleFor(pump, cmd.gradeId) : undefined) ?? (nozzles.length === 1 ? nozzles[0] : undefined);
  const gradeId = nozzle === undefined ? undefined : catalog.gradeOfNozzle(pump, nozzle);
  const grade = gradeId === undefined ? undefined : catalog.configured(gradeId);
  if (nozzle === undefined || grade === undefined) {
    throw new AgentError("DEVICE_REJECTED", `pump ${pump}: no nozzle lifted and no configured grade to authorize`, { point: cmd.point, pump, nozzle, gradeId: cmd.gradeId, code: "PTS_NO_GRADE" });
  }
  const mismatch = catalog.mismatchOf(grade.id);
  if (mismatch && config.priceMismatch === "refuse") {
    throw new AgentError("DEVICE_REJECTED", `grade ${grade.id}: controller price ${mismatch.controllerMinor ?? "(none)"} differs from the configured ${mismatch.configuredMinor}`, { point: cmd.point, code: "PTS_PRICE_MISMATCH", ...mismatch });
  }
  return { nozzle, grade };
}
