// Review 12 #7 (LOW): idTag is a CiString20 — case-insensitive in OCPP 1.6 (§7 "CiString").
// The agent's idTag is the flow id itself ("P1-mx4xxdhy01bj" in `npm start`, lower case), looked
// up byte-exactly (SaleBook.byIdTag). A charger that normalises idTags to upper case (common for
// RFID UIDs, and allowed) gets Invalid for the agent's own RemoteStart: the session never starts
// and the customer's reservation is cancelled. Expected: compare idTags case-insensitively, or
// make idTagFor() produce upper case only.
import { expect, it } from "vitest";
import { authorizeCmd, openRig } from "../helpers.ts";
import { bootAndPlugIn, handCharger } from "./hand.ts";

it("Authorize/StartTransaction with the agent's idTag in another case are the agent's session", async () => {
  const rig = await openRig();
  const cp = await handCharger(`${rig.driver.url}/CP-1`);
  await bootAndPlugIn(rig, cp);
  await rig.driver.authorize(authorizeCmd({ transactionId: "P1-mx4xxdhy01bj" }));
  const rs = (await cp.waitFor((f) => f[2] === "RemoteStartTransaction")) as [number, string, string, { idTag: string }];
  const tag = rs[3].idTag.toUpperCase();
  expect(await cp.call("Authorize", { idTag: tag })).toEqual({ idTagInfo: { status: "Accepted" } });
  const st = (await cp.call("StartTransaction", { connectorId: 1, idTag: tag, meterStart: 0, timestamp: new Date().toISOString() })) as { idTagInfo: { status: string } };
  expect(st.idTagInfo.status).toBe("Accepted");
  cp.close();
});
