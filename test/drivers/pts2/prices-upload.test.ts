// Prices are the controller's and the agent's to agree on: a mismatch is a fault, and by default
// that grade is not sold (no PumpAuthorize leaves); with priceMismatch: charge-configured the pump
// is authorized at the configured price. The controller's status upload makes the driver poll at
// once, so a lift is seen long before the next poll is due.
import { expect, it } from "vitest";
import { request } from "node:http";
import { closeAfterEach, openDriver, received, startTwin, waitUntil } from "./helpers.ts";

const cleanup = closeAfterEach();

it("a controller price that differs from the configured one is a fault, and that grade is refused before any PumpAuthorize", async () => {
  const twin = await startTwin();
  twin.setPrice(2, 2099); // diesel 20.99 on the controller, 20.49 configured
  const { driver, events } = await openDriver(twin);
  cleanup(() => driver.close(), () => twin.close());
  const fault = await events.waitFor((e) => e.type === "fault" && e.code === "PTS_PRICE_MISMATCH");
  expect(fault).toMatchObject({ point: null });
  expect(fault.type === "fault" && fault.message).toContain("2099");
  await expect(driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "P1-d", gradeId: "D" })).rejects.toMatchObject({
    code: "DEVICE_REJECTED",
    context: { code: "PTS_PRICE_MISMATCH", configuredMinor: 2049, controllerMinor: 2099 },
  });
  expect(received(twin, "PumpAuthorize")).toHaveLength(0);
  // The grade whose price agrees still sells; prices() reports the configured grades.
  await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "P1-95", gradeId: "95" });
  expect(received(twin, "PumpAuthorize")).toHaveLength(1);
  expect((await driver.prices()).map((g) => [g.id, g.unitPriceMinor])).toEqual([["95", 1899], ["D", 2049]]);
});

it("a price changed on the controller later is caught by the periodic check; charge-configured sells at the agent's price", async () => {
  const twin = await startTwin();
  const { driver, events } = await openDriver(twin, { priceCheckIntervalMs: 1000, priceMismatch: "charge-configured" });
  cleanup(() => driver.close(), () => twin.close());
  await driver.prices(); // the controller agrees now …
  twin.setPrice(1, 1950); // … and is changed behind the agent's back
  expect(events.count((e) => e.type === "fault")).toBe(0);
  await events.waitFor((e) => e.type === "fault" && e.code === "PTS_PRICE_MISMATCH", 5000);
  twin.liftNozzle(1, 1);
  await events.waitFor((e) => e.type === "call");
  await driver.authorize({ point: 1, limitMinor: 10000, currency: "SEK", transactionId: "P1-cfg", gradeId: "95" });
  expect(received(twin, "PumpAuthorize")[0]).toMatchObject({ Price: 18.99 });
  twin.deliver(1, 1_000);
  twin.hangUp(1);
  expect(await events.waitFor((e) => e.type === "end")).toMatchObject({ amountMinor: 1899, unitPriceMinor: 1899 });
});

it("status upload: the controller's push makes the driver poll at once (poll interval one minute)", async () => {
  const upload = { host: "127.0.0.1", port: 0, auth: { user: "pts", password: "up" } };
  // The receiver's port is ephemeral: open the driver first, then point the twin's upload at it.
  const twin0 = await startTwin();
  const { driver, events } = await openDriver(twin0, { pollIntervalMs: 60_000, upload });
  const port = driver.uploadPort!;
  await twin0.close();
  const { VirtualPts2 } = await import("../../../simulator/devices/virtual-pts2.ts");
  const { SimClock } = await import("../../../simulator/clock.ts");
  const twin = new VirtualPts2({ scheduler: new SimClock({ manual: true }), pumps: 2, upload: { url: `http://127.0.0.1:${port}/jsonPTS`, user: "pts", password: "up" } });
  await twin.listen(Number(new URL(twin0.url).port));
  cleanup(() => driver.close(), () => twin.close());
  await waitUntil(() => driver.stats().linkUp, 5000, "link up on the new twin");

  twin.liftNozzle(1, 1);
  expect(await events.waitFor((e) => e.type === "call", 5000)).toMatchObject({ point: 1, gradeId: "95" });
  expect(twin.counters.uploads).toBeGreaterThanOrEqual(1);

  // Wrong credentials and other upload types are refused, in jsonPTS.
  const post = (body: string, auth: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${port}/jsonPTS`, { method: "POST", headers: { Authorization: `Basic ${Buffer.from(auth).toString("base64")}` } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  expect((await post("{}", "pts:wrong")).status).toBe(401);
  const tank = await post(JSON.stringify({ Protocol: "jsonPTS", PtsId: "X", Packets: [{ Id: 3, Type: "UploadTankMeasurement", Data: {} }] }), "pts:up");
  expect(JSON.parse(tank.body).Packets[0]).toMatchObject({ Id: 3, Error: true, Code: 1 });
  expect((await post("not json", "pts:up")).status).toBe(400);
});
