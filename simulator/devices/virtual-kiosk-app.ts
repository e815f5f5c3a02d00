// A simulated kiosk touchscreen app (a car wash's) driving the Kiosk API as a real app would:
// it starts a payment with an Idempotency-Key, shows what the payment says to display, and when
// the payment is paid "runs the wash" and reports the result — failed for a share of customers
// (the wash arm jammed), so the station's refunds get exercised. Used by tests and, at
// integration, by `npm start`'s car-wash kiosk. It talks HTTP over the agent's Unix socket only.
import { request } from "node:http";
import { randomUUID } from "node:crypto";

export interface KioskProduct {
  readonly description: string;
  readonly amountMinor: number;
}

export interface VirtualKioskAppOptions {
  readonly socketPath: string;
  readonly token: string;
  readonly point: number;
  readonly currency: string;
  readonly products: readonly KioskProduct[];
  /** Share of paid washes that fail (0..1); a failed one reports deliveredMinor = half, at random. */
  readonly failShare?: number;
  /** Random source (seeded in tests). Default Math.random. */
  readonly random?: () => number;
  /** How often the app re-reads its payment (ms). Default 250. */
  readonly pollMs?: number;
  /** Gives up waiting for a final state after this long (ms). Default 300 000. */
  readonly patienceMs?: number;
  /** What the screen shows, line by line (default: nothing). */
  readonly onDisplay?: (text: string, payment: ApiPayment) => void;
}

export interface ApiPayment {
  readonly id: string;
  readonly state: string;
  readonly amountMinor: number;
  readonly reference: string;
  readonly display: { readonly code: string; readonly text: string; readonly glaseId?: string };
  readonly [k: string]: unknown;
}

interface Reply {
  readonly status: number;
  readonly body: any;
}

const FINAL = new Set(["delivered", "cancelled", "refunded", "attention"]);

export class VirtualKioskApp {
  private stopped = false;
  /** The pauses running now: stop() ends them (a pause left running held a stopped daemon's exit for its rest). */
  private readonly pauses = new Set<() => void>();
  private sequence = 0;
  readonly completed: ApiPayment[] = [];

  constructor(private readonly o: VirtualKioskAppOptions) {}

  /** One customer: pay, release when paid (delivered, or failed for failShare), until a final state. */
  async buy(product = this.pick()): Promise<ApiPayment> {
    const reference = `wash-${++this.sequence}-${randomUUID().slice(0, 8)}`;
    const key = `app-${reference}`;
    const body = { point: this.o.point, amountMinor: product.amountMinor, currency: this.o.currency, reference, rows: [{ description: product.description, totalMinor: product.amountMinor }] };
    let created = await this.call("POST", "/v1/payments", body, { "idempotency-key": key });
    if (created.status >= 500 || created.status === 0) created = await this.call("POST", "/v1/payments", body, { "idempotency-key": key }); // safe: same key
    if (created.status !== 201 && created.status !== 200) throw new Error(`kiosk app: POST /v1/payments answered ${created.status} ${JSON.stringify(created.body)}`);
    let p = created.body as ApiPayment;
    let shown = "";
    let released = false;
    const deadline = Date.now() + (this.o.patienceMs ?? 300_000);
    while (!FINAL.has(p.state) && !this.stopped && Date.now() < deadline) {
      if (p.display.text !== shown) this.o.onDisplay?.((shown = p.display.text), p);
      if (p.state === "paid" && !released) {
        released = true; // the app releases at most once, whatever it reads later
        const r = await this.call("POST", `/v1/payments/${encodeURIComponent(p.id)}/release`, this.washResult(p));
        if (r.status === 200) p = r.body as ApiPayment;
        continue;
      }
      await this.pause(this.o.pollMs ?? 250);
      const read = await this.call("GET", `/v1/payments/${encodeURIComponent(p.id)}`);
      if (read.status === 200) p = read.body as ApiPayment;
    }
    this.o.onDisplay?.(p.display.text, p);
    this.completed.push(p);
    return p;
  }

  /** The app after a crash: finds its payment by reference. */
  async find(reference: string): Promise<ApiPayment | undefined> {
    const r = await this.call("GET", `/v1/payments?reference=${encodeURIComponent(reference)}&point=${this.o.point}`);
    return r.status === 200 ? (r.body as ApiPayment) : undefined;
  }

  /** Customers one after another, a pause between them, until stop(). */
  async run(pauseMs: number): Promise<void> {
    while (!this.stopped) {
      await this.buy().catch(() => undefined);
      await this.pause(pauseMs);
    }
  }

  /** Stops after the request in flight: a pause between customers (or polls) ends at once. */
  stop(): void {
    this.stopped = true;
    for (const end of [...this.pauses]) end();
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.pauses.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.pauses.add(end);
    });
  }

  private pick(): KioskProduct {
    const r = this.o.random ?? Math.random;
    return this.o.products[Math.floor(r() * this.o.products.length)]!;
  }

  private washResult(p: ApiPayment): Record<string, unknown> {
    const r = this.o.random ?? Math.random;
    if (r() >= (this.o.failShare ?? 0)) return { outcome: "delivered" };
    return r() < 0.5 ? { outcome: "failed", reason: "wash arm jammed" } : { outcome: "failed", reason: "wash stopped half way", deliveredMinor: Math.floor(p.amountMinor / 2) };
  }

  private call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.o.socketPath,
          method,
          path,
          headers: { authorization: `Bearer ${this.o.token}`, ...(text !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = raw ? JSON.parse(raw) : undefined;
            } catch {
              parsed = raw;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("error", () => resolve({ status: 0, body: undefined }));
      if (text !== undefined) req.write(text);
      req.end();
    });
  }
}
