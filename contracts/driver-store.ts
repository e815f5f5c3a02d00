// Durable key-value storage that the shell hands a device driver for what the driver must remember
// across agent restarts (an OCPP transactionId ↔ flow, a PTS-2 transaction number ↔ flow, …).
// `put` and `delete` resolve only once the change is durable (the shell backs this with the SQLite
// journal), so a driver writes first and answers the device after. Keys are scoped per controller
// by the shell; values are plain JSON.
export interface DriverStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<ReadonlyArray<{ readonly key: string; readonly value: unknown }>>;
}

/** The same contract kept in memory: unit tests, and virtual stations that never restart. */
export class MemoryDriverStore implements DriverStore {
  private readonly entries = new Map<string, string>();

  async get(key: string): Promise<unknown> {
    const v = this.entries.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }

  async put(key: string, value: unknown): Promise<void> {
    // Stored as JSON text so a caller mutating its object later cannot change what was "written".
    this.entries.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<ReadonlyArray<{ readonly key: string; readonly value: unknown }>> {
    return [...this.entries.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({ key, value: JSON.parse(this.entries.get(key)!) }));
  }
}
