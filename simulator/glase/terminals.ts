// Principals and terminal administration: credential checks (§6.13, §9 A14/A27/A28/A44),
// registerTerminal, assignSeqrId, unregisterTerminal.
import type { RequestContext } from "./soap-request.ts";
import type { ShopRecord, SimCore, TerminalRecord } from "./state.ts";

export type Auth<T> = { ok: true; value: T } | { ok: false; code: number };

const fail = (code: number) => ({ ok: false, code }) as const;
const KNOWN_TYPES = new Set(["TERMINALID", "RESELLERUSER"]);

function unknownType(ctx: RequestContext): boolean {
  return ctx.principalType !== undefined && ctx.principalType !== "" && !KNOWN_TYPES.has(ctx.principalType);
}

function checkTerminal(core: SimCore, ctx: RequestContext): Auth<TerminalRecord> {
  const terminal = ctx.principalId === undefined ? undefined : core.state.terminals.get(ctx.principalId);
  if (!terminal || !terminal.registered) return fail(29); // unregistered terminals no longer exist (A44)
  if (ctx.password !== terminal.password) return fail(20);
  if (terminal.password.length < 4) return fail(21); // §9 A14
  const shop = core.state.shops.get(terminal.resellerId);
  if (terminal.blocked || !shop || shop.blocked) return fail(33);
  return { ok: true, value: terminal };
}

function checkReseller(core: SimCore, ctx: RequestContext): Auth<ShopRecord> {
  const shop = ctx.principalId === undefined ? undefined : core.state.shops.get(ctx.principalId);
  if (!shop || !ctx.userId || ctx.userId !== shop.userId) return fail(37); // A44: RESELLERUSER without userId ⇒ 37
  if (ctx.password !== shop.password) return fail(20);
  if (shop.blocked) return fail(33);
  return { ok: true, value: shop };
}

/** Operations of a terminal (TERMINALID principal). A RESELLERUSER context names no terminal ⇒ 29 (A27/A44). */
export function authTerminal(core: SimCore, ctx: RequestContext): Auth<TerminalRecord> {
  if (unknownType(ctx)) return fail(91);
  if (ctx.principalType !== "TERMINALID") return fail(29);
  return checkTerminal(core, ctx);
}

/** Shop administration (RESELLERUSER). A valid terminal may not administer the shop ⇒ 91. */
export function authReseller(core: SimCore, ctx: RequestContext): Auth<ShopRecord> {
  if (unknownType(ctx)) return fail(91);
  if (ctx.principalType === "TERMINALID") {
    const t = checkTerminal(core, ctx);
    return t.ok ? fail(91) : t;
  }
  return checkReseller(core, ctx);
}

/** Reporting accepts both principals (§9 A26); a terminal implies its own scope. */
export function authShopOrTerminal(core: SimCore, ctx: RequestContext): Auth<{ shop: ShopRecord; terminal?: TerminalRecord }> {
  if (unknownType(ctx)) return fail(91);
  if (ctx.principalType === "TERMINALID") {
    const t = checkTerminal(core, ctx);
    if (!t.ok) return t;
    return { ok: true, value: { shop: core.state.shops.get(t.value.resellerId)!, terminal: t.value } };
  }
  const s = checkReseller(core, ctx);
  return s.ok ? { ok: true, value: { shop: s.value } } : s;
}

export function registerTerminal(
  core: SimCore,
  ctx: RequestContext,
  externalTerminalId: string | undefined,
  password: string | undefined,
  name: string | undefined,
): { code: number; terminalId?: string } {
  const auth = authReseller(core, ctx);
  if (!auth.ok) return { code: auth.code };
  // Always a new terminal: a reinstalled POS registers again (A28). Short passwords are accepted
  // here and fail later with 21 (A14).
  const terminalId = core.ids.terminalId();
  core.state.terminals.set(terminalId, {
    terminalId,
    password: password ?? "",
    name: name ?? "",
    externalTerminalId,
    resellerId: auth.value.resellerId,
    cashRegister: true,
    blocked: false,
    registered: true,
    createdAt: core.clock.now(),
    invoiceReferences: [],
  });
  return { code: 0, terminalId };
}

const SEQR_ID = /^[A-Za-z0-9]+$/;

export function assignSeqrId(core: SimCore, ctx: RequestContext, seqrId: string | undefined): number {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return auth.code;
  const id = seqrId?.trim();
  if (!id || !SEQR_ID.test(id)) return 53;
  for (const t of core.state.terminals.values()) {
    if (t.registered && t.seqrId === id && t !== auth.value) return 53; // unique across terminals (§6.13)
  }
  auth.value.seqrId = id;
  return 0;
}

export function unregisterTerminal(core: SimCore, ctx: RequestContext, cancelOpen: (t: TerminalRecord) => void): number {
  const auth = authTerminal(core, ctx);
  if (!auth.ok) return auth.code;
  cancelOpen(auth.value);
  auth.value.registered = false;
  auth.value.seqrId = undefined; // the sticker can be bound to another terminal
  return 0;
}
