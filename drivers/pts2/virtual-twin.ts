// The PTS-2 driver's virtual twin, as the device layer will pick it by `driver: pts2` with a
// virtual link: a VirtualPts2 on loopback plus the config that points the real driver at it.
// The simulator is loaded only when asked for (a site with a real controller never loads it), and
// only its type is named here, so the driver itself does not depend on simulator code.
import type { VirtualPts2, VirtualPts2Options } from "../../simulator/devices/virtual-pts2.ts";
import type { Pts2ConfigInput } from "./config.ts";

export interface StartedPts2Twin {
  readonly twin: VirtualPts2;
  /** The driver config reaching the twin (merge over the station's own points/grades). */
  readonly link: Pick<Pts2ConfigInput, "url" | "auth" | "controllerUserId">;
  close(): Promise<void>;
}

export async function startPts2Twin(options: VirtualPts2Options = {}): Promise<StartedPts2Twin> {
  const { VirtualPts2 } = await import("../../simulator/devices/virtual-pts2.ts");
  const twin = new VirtualPts2(options);
  await twin.listen(0);
  const auth = options.auth ?? { scheme: "none" as const };
  return {
    twin,
    link: { url: twin.url, auth: auth.scheme === "none" ? { scheme: "none" } : { scheme: auth.scheme, user: auth.user, password: auth.password }, controllerUserId: options.userId ?? 1 },
    close: () => twin.close(),
  };
}
