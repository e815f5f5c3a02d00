// Built-in provisioning (shop reseller/9900/2009 and the Java samples' terminals, §8.4), kept
// apart from the zod schema so starting the simulator without a provisioning file does not load
// the validation libraries (the CLI must start in well under a second).
import type { ProvisionedShop, ProvisionedTerminal, Provisioning } from "./provisioning.ts";

export const DEFAULT_SHOP: ProvisionedShop = {
  resellerId: "reseller",
  userId: "9900",
  password: "2009",
  currency: "SEK",
  allowRefunds: true,
  receiverAllowsRefunds: true,
  blocked: false,
};

/** The Java samples' terminals (MPaymentFlowSample, …WithLoyaltySample), §8.4. */
export const DEFAULT_TERMINALS: ProvisionedTerminal[] = [
  { id: "0460000300002010", password: "2009", name: "Sample terminal", cashRegister: true, blocked: false },
  { id: "0460000100001002", password: "2009", name: "Loyalty sample terminal", cashRegister: true, blocked: false },
];

export const DEFAULT_PROVISIONING: Provisioning = { shops: [DEFAULT_SHOP], terminals: DEFAULT_TERMINALS, tokens: [], settings: {}, issuers: [] };
