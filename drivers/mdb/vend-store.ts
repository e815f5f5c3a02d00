// What the MDB driver remembers of a vend across link losses and agent restarts, in the
// DriverStore the shell gives it. Written BEFORE the driver acts on it (asks the host for a sale,
// approves at the machine, reports a result), so a crash at any point resumes from the record:
//
//   requesting ─▶ waiting ─▶ approved ─▶ result ─▶ (deleted once the host has the result)
//        └──────────┴─▶ abandoned (the machine no longer waits: the sale is cancelled, and if
//                                  the payment beat the cancel it is reported "failed" → refund)
import type { DriverStore } from "../../contracts/driver-store.ts";
import type { ReleaseResult } from "../../contracts/kiosk.ts";

export type VendPhase = "requesting" | "waiting" | "approved" | "result" | "abandoned";

export interface VendRecord {
  readonly vendId: number;
  readonly amountMinor: number;
  readonly product: string;
  readonly phase: VendPhase;
  /** When the vend request came (ms); the payment deadline counts from here. */
  readonly at: number;
  /** The same instant on the kernel's boot clock (boot-clock.ts): a restarted agent times the deadline with it. */
  readonly boot?: { readonly bootId: string; readonly uptimeMs: number };
  readonly saleId?: string;
  /**
   * The sale's idempotency key and reference, fixed when the vend starts. The key carries the
   * driver's per-start epoch, so vend ids that restart at 1 (drivers.sqlite lost or restored) never
   * replay an old sale of the journal. Absent on records of older versions: `<id>:vend-<n>`.
   */
  readonly key?: string;
  readonly reference?: string;
  /**
   * approved: written true BEFORE C,VEND is handed to the link ("may have gone out"), false when
   * it certainly did not (paid while the link was down; a write that failed on a live link is not such proof). A vend that ends
   * with false is "failed" (refund: nothing can have been dispensed); with true (or absent, older
   * records) it is "unknown" (a technician decides).
   */
  readonly approveSent?: boolean;
  readonly result?: ReleaseResult;
  /** abandoned: why the machine stopped waiting (becomes the "failed" reason if it was paid). */
  readonly why?: string;
}

const PREFIX = "vend/";
const SEQ = "vend-seq";

export class VendStore {
  constructor(private readonly store: DriverStore) {}

  async nextId(): Promise<number> {
    const last = (await this.store.get(SEQ)) as number | undefined;
    const id = (typeof last === "number" ? last : 0) + 1;
    await this.store.put(SEQ, id);
    return id;
  }

  async put(r: VendRecord): Promise<VendRecord> {
    await this.store.put(PREFIX + String(r.vendId).padStart(10, "0"), r);
    return r;
  }

  async delete(r: VendRecord): Promise<void> {
    await this.store.delete(PREFIX + String(r.vendId).padStart(10, "0"));
  }

  async all(): Promise<VendRecord[]> {
    return (await this.store.list(PREFIX)).map((e) => e.value as VendRecord);
  }
}
