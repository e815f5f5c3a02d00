// Review 14 of issue 14: shared helpers of the repros. A "blip" is ONE refused connection to an
// ordinary, honouring controller that did not reboot (its web server briefly not accepting — an
// ARP/switch hiccup, a busy embedded web server, a connect timeout): nothing on the controller
// changes, no record is lost. The twin's HTTP server is closed for one poll and listens again on
// the same port; its pumps, records and counters are untouched (unlike powerCut()).
import type { Server, Socket } from "node:net";
import type { VirtualPts2 } from "../../../../simulator/devices/virtual-pts2.ts";

export async function refuseOneConnection(twin: VirtualPts2, poll: () => Promise<void>): Promise<string> {
  const t = twin as unknown as { server?: Server; sockets: Set<Socket> };
  const port = Number(new URL(twin.url).port);
  const server = t.server!;
  t.server = undefined;
  for (const s of t.sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  const refused = await poll().then(() => "answered", (e: { context?: { kind?: string } }) => e.context?.kind ?? "error");
  await twin.listen(port);
  return refused;
}

/** A firmware whose PumpTransactionInformation carries no UserId (optional in the vendor SDK: isUserIdSet). */
export function withoutUserId(twin: VirtualPts2): void {
  const real = twin.pumps.transactionInfo.bind(twin.pumps);
  twin.pumps.transactionInfo = (d) => {
    const o = real(d);
    if (!o.ok) return o;
    const { UserId: _u, ...rest } = o.data;
    return { ok: true, data: rest };
  };
}
