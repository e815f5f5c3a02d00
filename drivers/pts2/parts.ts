// The parts of a PTS-2 controller its helpers share (driver.ts builds them once), and the base of
// those helpers: each sees the parts under the names the driver uses.
import type { Scheduler } from "../../base/clock.ts";
import type { Logger } from "../../base/log.ts";
import type { DispenserEvent } from "../../contracts/dispenser.ts";
import type { Pts2Config } from "./config.ts";
import type { PacketExchange } from "./exchange.ts";
import type { GradeCatalog } from "./grades.ts";
import type { OwnUser } from "./own-user.ts";
import type { TransactionBook } from "./transactions.ts";
import type { WireUnits } from "./units.ts";

export interface Pts2Parts {
  readonly config: Pts2Config;
  readonly exchange: PacketExchange;
  readonly book: TransactionBook;
  readonly catalog: GradeCatalog;
  readonly units: WireUnits;
  readonly ownUser: OwnUser;
  readonly log: Logger;
  readonly scheduler: Scheduler;
  readonly emit: (e: DispenserEvent) => void;
}

/** A helper of the driver: the shared parts as its own fields. */
export abstract class Pts2Part {
  protected readonly config: Pts2Config;
  protected readonly exchange: PacketExchange;
  protected readonly book: TransactionBook;
  protected readonly catalog: GradeCatalog;
  protected readonly units: WireUnits;
  protected readonly log: Logger;
  protected readonly scheduler: Scheduler;
  protected readonly emit: (e: DispenserEvent) => void;

  constructor(d: Pts2Parts) {
    this.config = d.config;
    this.exchange = d.exchange;
    this.book = d.book;
    this.catalog = d.catalog;
    this.units = d.units;
    this.log = d.log;
    this.scheduler = d.scheduler;
    this.emit = d.emit;
  }
}
