// The kiosk shows the Glase ID sticker to scan (issue 13: "pay with the Glase ID sticker of this
// point"). Before, the host knew only a configured glaseId — none in a real config — so the kiosk
// said "scan the sticker" without naming it. Now the ID assign-id stored with the point's terminal
// credentials is what the Kiosk API returns (GET /v1/points, display.glaseId while waiting), and a
// new assignment shows from the next sale on.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../agent/config/load.ts";
import { writeStoredTerminal } from "../../agent/config/credentials.ts";
import { openJournal } from "../../agent/journal/journal.ts";
import type { Journal } from "../../agent/journal/types.ts";
import { createLogger } from "../../base/log.ts";
import { systemScheduler } from "../../base/clock.ts";
import { RefundGuard } from "../../agent/daemon/refund-guard.ts";
import { openKioskStation, type KioskStation } from "../../agent/daemon/kiosk-station.ts";
import { openKioskRig, type KioskRig } from "./engine-host-rig.ts";

let journal: Journal | undefined;
let ks: KioskStation | undefined;
let rig: KioskRig | undefined;
afterEach(async () => {
  ks?.close();
  await journal?.close();
  await rig?.close();
  ks = undefined;
  journal = undefined;
  rig = undefined;
});

describe("the kiosk shows the point's stored Glase ID", () => {
  it("read from the terminal credentials assign-id stored (none in the config)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kiosk-glase-id-"));
    const terminalsDir = join(dir, "terminals");
    await writeStoredTerminal(terminalsDir, 7, { terminalId: "T7", password: "pw-long-enough", seqrId: "7312004" });
    const { config } = parseConfig(
      parse(`version: 3
station: {name: s, currency: SEK}
glase: {endpoint: embedded-simulator}
points: [{id: 7, kind: kiosk, name: Car wash, maxPreliminaryMinor: 50000}, {id: 8, kind: kiosk, name: Vending, maxPreliminaryMinor: 5000}]
devices: {}
`),
    );
    journal = await openJournal({ path: join(dir, "journal.db") });
    ks = await openKioskStation({ config, journal, scheduler: systemScheduler, logger: createLogger("test.kiosk-glase-id"), refundGuard: new RefundGuard(journal), terminalsDir });
    expect(ks!.host.points().map((p) => [p.id, p.glaseId])).toEqual([
      [7, "7312004"],
      [8, undefined],
    ]);
  });

  it("an assignment shows in the points and in the next sale's 'pay' display", async () => {
    rig = await openKioskRig();
    rig.host.setGlaseId(9, "4400123");
    expect(rig.host.points()[0]).toMatchObject({ id: 9, glaseId: "4400123" });
    const s = await rig.host.requestSale({ point: 9, amountMinor: 1000, currency: "SEK", reference: "w" });
    const waiting = await rig.waitSale(s.saleId, (x) => x.state === "waiting", "waiting");
    expect(waiting.display).toMatchObject({ code: "pay", glaseId: "4400123" });
    expect(waiting.display.text).toContain("4400123");
  });
});
