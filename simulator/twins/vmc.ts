// The MDB driver's virtual twin: the virtual vending machine (VMC + Qibixx adapter) on one end of
// a socat pty pair, the real driver on the other — real termios, real serialport. Simulated
// customers pick items one after another; a share of vends fail at the machine (refunded) and a
// customer who is not served in time walks away (the driver cancels and denies).
import type { StartedTwin, VirtualTwin } from "../../drivers/driver-module.ts";
import type { MdbControllerConfig } from "../../drivers/mdb/driver.ts";
import { openPtyPair } from "../devices/pty-pair.ts";
import { VirtualVmc } from "../devices/virtual-vmc.ts";

const PRICES = [1500, 2500, 3000, 4500];

export const vmcTwin: VirtualTwin<MdbControllerConfig> = {
  async start(config, ctx): Promise<StartedTwin<MdbControllerConfig>> {
    const v = config.virtual;
    const pair = await openPtyPair({ detached: true });
    const vmc = new VirtualVmc({ amountFormat: config.amountFormat, dispenseMs: v?.dispenseMs ?? 1500 });
    let stopped = false;
    let next: (() => void) | undefined;
    const items = Object.keys(config.products);
    const customer = () => {
      if (stopped) return;
      try {
        if (vmc.readerEnabled && !vmc.current) {
          const item = items.length > 0 ? items[Math.floor(Math.random() * items.length)]! : "1";
          const amount = PRICES[Math.floor(Math.random() * PRICES.length)]!;
          vmc.select(item, amount, Math.random() < (v?.failShare ?? 0.15) ? "fail" : "success");
        }
      } catch (err) {
        ctx.logger.warn("vmc_customer_skipped", { err });
      }
      next = ctx.scheduler.setTimer((v?.pauseS ?? 20) * 1000, customer);
    };
    try {
      await vmc.attachSerial(pair.a);
      const { virtual: _virtual, ...rest } = config;
      return {
        config: { ...rest, link: { kind: "serial", path: pair.b, baudRate: 115_200 } } as MdbControllerConfig,
        async attach() {
          next = ctx.scheduler.setTimer(3000, customer);
        },
        device: vmc,
        async close() {
          stopped = true;
          next?.();
          await vmc.close();
          await pair.close();
        },
      };
    } catch (err) {
      await vmc.close();
      await pair.close();
      throw err;
    }
  },
};
