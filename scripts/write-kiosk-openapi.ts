// Writes docs/kiosk-api.openapi.json from the code (drivers/kiosk-api/openapi.ts): the document
// the agent serves at /v1/openapi.json. test/drivers/kiosk-api/openapi.test.ts fails when the
// file is stale; run `npm run docs:kiosk-api` after changing a route or a schema.
import { writeFileSync } from "node:fs";
import { buildOpenApi } from "../drivers/kiosk-api/openapi.ts";

writeFileSync(new URL("../docs/kiosk-api.openapi.json", import.meta.url), JSON.stringify(buildOpenApi(), null, 2) + "\n");
console.log("wrote docs/kiosk-api.openapi.json");
