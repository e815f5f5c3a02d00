// The virtual vending machine: a VMC with a Qibixx MDB adapter in front of it, speaking the
// adapter's host-side line protocol (docs/mdb.md) byte for byte — over one end of a socat pty
// pair (tests) or a loopback TCP port (the simulated station) — so the real MDB driver is tested
// through a real tty. Like the real adapter it keeps its state while no host is connected.
//
// A customer selects (select), the machine asks for the amount (c,STATUS,VEND), and on approval
// (C,VEND) dispenses after dispenseMs with the outcome chosen per vend: success, fail (VEND 3)
// or hang (no result at all). customerCancel, reset (mid-vend too) and garbage on demand.
import { createServer, type Server, type Socket } from "node:net";
import { ReadlineParser } from "@serialport/parser-readline";
import type { Scheduler } from "../../base/clock.ts";
import { createLogger } from "../../base/log.ts";
import { formatAmount, parseAmount, type AmountFormat } from "../../drivers/mdb/protocol.ts";
import { SimClock } from "../clock.ts";

const log = createLogger("sim.vmc");

export type VendOutcome = "success" | "fail" | "hang";
export type VmcVendState = "waiting" | "approved" | "denied" | "cancelled" | "dispensed" | "failed" | "reset";

export interface VmcVend {
  readonly product: string;
  readonly amountMinor: number;
  readonly outcome: VendOutcome;
  state: VmcVendState;
  approvedText?: string;
}

export type VmcEvent = { readonly type: "command"; readonly line: string } | { readonly type: "vend"; readonly vend: VmcVend } | { readonly type: "client"; readonly connected: boolean };

export interface VirtualVmcOptions {
  readonly amountFormat?: AmountFormat;
  readonly scheduler?: Scheduler;
  /** Time from approval to the vend result. Default 50 ms. */
  readonly dispenseMs?: number;
}

interface Link {
  write(text: string): void;
  close(): void;
}

const GARBAGE = ["c,STATUS,BOGUS", "c,STATUS,VEND,abc,1", "\u0001\u0002\u00ff", "c,WHAT", "hello there", "c,STATUS,VEND,1.00"];

export class VirtualVmc {
  readonly vends: VmcVend[] = [];
  readonly commands: string[] = [];
  private readonly links = new Set<Link>();
  private readonly listeners = new Set<(e: VmcEvent) => void>();
  private readonly scheduler: Scheduler;
  private readonly format: AmountFormat;
  private enabled = false;
  private server: Server | undefined;

  constructor(private readonly options: VirtualVmcOptions = {}) {
    this.scheduler = options.scheduler ?? new SimClock();
    this.format = options.amountFormat ?? "decimal";
  }

  get current(): VmcVend | undefined {
    const last = this.vends[this.vends.length - 1];
    return last && (last.state === "waiting" || last.state === "approved") ? last : undefined;
  }

  get readerEnabled(): boolean {
    return this.enabled;
  }

  onEvent(listener: (e: VmcEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first event (from now on) that matches. */
  waitFor(match: (e: VmcEvent) => boolean, timeoutMs = 10_000, what = "VMC event"): Promise<VmcEvent> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}; commands ${JSON.stringify(this.commands.slice(-6))}`))), timeoutMs);
      const off = this.onEvent((e) => match(e) && (clearTimeout(t), off(), resolve(e)));
    });
  }

  /** The host side opens the other end of this pty pair (or the adapter's USB device). */
  async attachSerial(path: string): Promise<void> {
    const { SerialPort } = await import("serialport");
    const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const link: Link = { write: (t) => port.isOpen && port.write(Buffer.from(t, "latin1")), close: () => port.isOpen && port.close() };
    port.on("error", () => undefined);
    port.on("close", () => this.detach(link));
    this.attach(link, port);
  }

  /** Accepts host connections on a loopback port (0: any free one); resolves with the port. */
  async listenTcp(port = 0): Promise<number> {
    this.server = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      const link: Link = { write: (t) => !socket.destroyed && socket.write(Buffer.from(t, "latin1")), close: () => socket.destroy() };
      socket.on("error", () => undefined);
      socket.on("close", () => this.detach(link));
      this.attach(link, socket);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** A customer picks an item: the machine asks the cashless device for the amount. */
  select(product: string, amountMinor: number, outcome: VendOutcome = "success"): VmcVend {
    if (!this.enabled) throw new Error("the cashless reader is not enabled (no C,1 yet)");
    if (this.current) throw new Error(`a vend is in progress (${this.current.state})`);
    const vend: VmcVend = { product, amountMinor, outcome, state: "waiting" };
    this.vends.push(vend);
    this.send(`c,STATUS,VEND,${formatAmount(amountMinor, this.format)},${product}`);
    this.emit({ type: "vend", vend });
    return vend;
  }

  /** The customer presses coin-return while the machine waits for approval (MDB VEND CANCEL). */
  customerCancel(): void {
    const v = this.current;
    if (v?.state !== "waiting") return;
    this.settle(v, "cancelled", "c,ERR,VEND 1", "c,STATUS,ENABLED");
  }

  /** The machine resets (power blip, door switch): a vend in progress is lost, the reader is set up again. */
  reset(): void {
    const v = this.current;
    if (v) this.settle(v, "reset", "c,ERR,VEND 5");
    this.send("c,STATUS,INACTIVE", "c,STATUS,DISABLED", "r,ACK", "c,STATUS,ENABLED");
  }

  /** An approved vend that hangs ends now (a late result). */
  finishVend(outcome: "success" | "fail"): void {
    const v = this.current;
    if (v?.state !== "approved") return;
    if (outcome === "success") this.settle(v, "dispensed", "c,VEND,SUCCESS", "c,STATUS,IDLE", "c,STATUS,ENABLED");
    else this.settle(v, "failed", "c,ERR,VEND 3", "c,STATUS,IDLE", "c,STATUS,ENABLED");
  }

  garbage(lines = GARBAGE.length): void {
    for (let i = 0; i < lines; i++) this.send(GARBAGE[i % GARBAGE.length]!);
  }

  async close(): Promise<void> {
    for (const l of [...this.links]) l.close();
    this.links.clear();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }

  // ---- the adapter's side ----------------------------------------------------------------------

  private attach(link: Link, stream: NodeJS.ReadableStream): void {
    this.links.add(link);
    const parser = new ReadlineParser({ delimiter: "\n", encoding: "latin1" });
    stream.pipe(parser);
    parser.on("data", (line: string) => this.onCommand(line.replace(/\r$/, "")));
    this.emit({ type: "client", connected: true });
  }

  private detach(link: Link): void {
    if (this.links.delete(link)) this.emit({ type: "client", connected: false });
  }

  private onCommand(line: string): void {
    this.commands.push(line);
    this.emit({ type: "command", line });
    const v = this.current;
    if (line === "C,1") {
      if (this.enabled) return this.send('c,ERR,"cashless is on"');
      this.enabled = true;
      return this.send("c,STATUS,INACTIVE", "c,STATUS,DISABLED", "r,ACK", "c,STATUS,ENABLED");
    }
    if (line === "C,0") {
      this.enabled = false;
      return this.send("c,STATUS,INACTIVE");
    }
    if (line === "C,STOP") {
      if (v?.state === "waiting") this.settle(v, "denied", "c,STATUS,IDLE", "c,STATUS,ENABLED");
      return;
    }
    const approve = /^C,VEND,([^,]+)$/.exec(line);
    if (approve) {
      if (v?.state !== "waiting") return this.send('c,ERR,"VEND -3"');
      if (parseAmount(approve[1]!, this.format) !== v.amountMinor) return this.send('c,ERR,"VEND -2"');
      v.state = "approved";
      v.approvedText = approve[1]!;
      this.send("r,ACK");
      this.emit({ type: "vend", vend: v });
      if (v.outcome === "hang") return;
      this.scheduler.setTimer(this.options.dispenseMs ?? 50, () => {
        if (this.current === v) this.finishVend(v.outcome === "success" ? "success" : "fail");
      });
      return;
    }
    log.debug("unknown_command", { line });
    this.send(`c,UNKNOWN,"${line.slice(0, 40)}"`);
  }

  private settle(v: VmcVend, state: VmcVendState, ...lines: string[]): void {
    v.state = state;
    this.send(...lines);
    this.emit({ type: "vend", vend: v });
  }

  private send(...lines: string[]): void {
    for (const l of this.links) l.write(lines.map((x) => x + "\r\n").join(""));
  }

  private emit(e: VmcEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}

/** The twin for a simulated station: a virtual vending machine on loopback TCP and the link to give the MDB driver. */
export async function startVirtualVmc(options: VirtualVmcOptions = {}): Promise<{ vmc: VirtualVmc; link: { kind: "tcp"; host: string; port: number } }> {
  const vmc = new VirtualVmc(options);
  const port = await vmc.listenTcp(0);
  return { vmc, link: { kind: "tcp", host: "127.0.0.1", port } };
}
