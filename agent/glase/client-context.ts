// The `context` element every Glase request starts with (contract §4.1/§4.2), built in wire
// order: JAXB orders clientContext and principalId alphabetically, so the object literals below
// list their keys alphabetically too (client-xml.ts emits keys in insertion order).
import { randomUUID } from "node:crypto";
import { AgentError } from "../../base/errors.ts";
import type { Principal } from "../../contracts/glase/types.ts";

/** The part of the context that is the same for every call of one client. */
export interface ContextSettings {
  /** Identifies the client software (certification wants the company name here). */
  readonly clientId: string;
  /** `WS` unless the integration was told otherwise (§9 A33). */
  readonly channel: string;
  /** Optional free comment, ≤ 80 characters (e.g. "till 3"). */
  readonly clientComment?: string;
}

export const MAX_CLIENT_REFERENCE = 32;

/** A fresh reference: 32 lowercase hex characters, unique without coordination. */
export function newClientReference(): string {
  return randomUUID().replace(/-/g, "");
}

/** The caller's reference (journaled before the call) or a fresh one; never longer than 32. */
export function resolveClientReference(given: string | undefined): string {
  if (given === undefined) return newClientReference();
  if (given.length === 0 || given.length > MAX_CLIENT_REFERENCE) {
    throw new AgentError("INPUT_INVALID", `clientReference must be 1..${MAX_CLIENT_REFERENCE} characters, got ${given.length}`, {
      clientReference: given,
    });
  }
  return given;
}

export interface WireContext {
  channel: string;
  clientComment?: string;
  clientId: string;
  clientReference: string;
  clientRequestTimeout: string;
  initiatorPrincipalId: { id: string; type: string; userId?: string };
  password: string;
}

export function buildContext(settings: ContextSettings, principal: Principal, clientReference: string): WireContext {
  const initiatorPrincipalId =
    principal.type === "TERMINALID"
      ? { id: principal.terminalId, type: "TERMINALID" }
      : { id: principal.resellerId, type: "RESELLERUSER", userId: principal.userId };
  return {
    channel: settings.channel,
    ...(settings.clientComment !== undefined ? { clientComment: settings.clientComment } : {}),
    clientId: settings.clientId,
    clientReference,
    // Must be 0: no server-enforced client timeout (§4.1); our own timeout is per call.
    clientRequestTimeout: "0",
    initiatorPrincipalId,
    password: principal.password,
  };
}
