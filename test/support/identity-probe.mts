// Child of test/config/process-identity.test.ts: answers isAlive() for the records given in
// argv[2] (JSON object name → identity) and says whether this process could read the boot id.
import { currentProcess, isAlive, type ProcessIdentity } from "../../agent/process-identity.ts";

const records = JSON.parse(process.argv[2]!) as Record<string, ProcessIdentity>;
const alive = Object.fromEntries(Object.entries(records).map(([k, v]) => [k, isAlive(v)]));
console.log(JSON.stringify({ bootReadable: currentProcess().boot !== undefined, alive }));
