// The slice of ocpp-rpc (OCPP-J RPC over WebSocket, strict mode = every frame validated against
// the official OCPP 1.6 JSON schemas in both directions) that the driver and the virtual charge
// point use, with the types the package's own declarations get wrong or leave out. ocpp-rpc is
// CommonJS and spreads part of its exports, so it is loaded whole and picked apart here.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import ocppRpc from "ocpp-rpc";

export interface RpcCall {
  readonly params: unknown;
  readonly messageId: string;
  readonly method: string;
}

export interface RpcHandshake {
  readonly identity: string;
  readonly endpoint: string;
  readonly protocols: Set<string>;
  readonly password: Buffer | undefined;
  readonly remoteAddress: string | undefined;
  readonly request: IncomingMessage;
}

/** One end of an OCPP-J connection (a charger as the server sees it, or the virtual charger). */
export interface RpcPeer {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly state: number;
  readonly identity: string;
  readonly protocol: string | undefined;
  readonly handshake: { readonly remoteAddress?: string };
  handle(action: string, handler: (call: RpcCall) => unknown): void;
  call(action: string, params: unknown, options?: { callTimeoutMs?: number; signal?: AbortSignal }): Promise<unknown>;
  sendRaw(message: string | Buffer): void;
  close(options?: { code?: number; reason?: string; force?: boolean; awaitPending?: boolean }): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

export interface RpcClient extends RpcPeer {
  connect(): Promise<unknown>;
}

export interface RpcServer {
  auth(cb: (accept: (session?: Record<string, unknown>, protocol?: string) => void, reject: (code: number, message: string) => void, handshake: RpcHandshake) => void): void;
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void | Promise<void>;
  on(event: "client", listener: (client: RpcPeer & { readonly handshake: RpcHandshake }) => void): unknown;
  on(event: "upgradeAborted", listener: (e: { error: unknown; identity: string }) => void): unknown;
  on(event: "error", listener: (e: unknown) => void): unknown;
  close(options: { code?: number; reason?: string; force?: boolean; awaitPending?: boolean }): Promise<void>;
}

export interface RpcServerOptions {
  readonly protocols: string[];
  readonly strictMode: boolean;
  readonly callTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly maxBadMessages: number;
  /** Validators replacing ocpp-rpc's own for their subprotocol (validation.ts). */
  readonly strictModeValidators?: readonly unknown[];
  readonly wssOptions: { readonly maxPayload: number };
}

export interface RpcClientOptions {
  readonly endpoint: string;
  readonly identity: string;
  readonly protocols: string[];
  readonly strictMode: boolean;
  readonly password?: string;
  readonly reconnect: boolean;
  readonly callTimeoutMs: number;
  readonly pingIntervalMs?: number;
  readonly wsOpts?: Record<string, unknown>;
}

interface OcppRpcModule {
  RPCServer: new (options: RpcServerOptions) => RpcServer;
  RPCClient: new (options: RpcClientOptions) => RpcClient;
  NOREPLY: symbol;
  TimeoutError: new (...args: never[]) => Error;
}

const lib = ocppRpc as unknown as OcppRpcModule;

/** Return from a handler to send no answer at all (the caller keeps the call queued and re-sends it). */
export const NOREPLY: symbol = lib.NOREPLY;

/**
 * Whether `err` is ocpp-rpc's call timeout. Its TimeoutError does not set `name` (it reads "Error"),
 * so a check on the name took every unanswered call for a lost connection.
 */
export function isRpcTimeout(err: unknown): boolean {
  return err instanceof lib.TimeoutError;
}

export function createRpcServer(options: RpcServerOptions): RpcServer {
  return new lib.RPCServer(options);
}

export function createRpcClient(options: RpcClientOptions): RpcClient {
  return new lib.RPCClient(options);
}


/** ws's error code for a frame (or message) above maxPayload: the connection closes with 1009. */
export const FRAME_TOO_LARGE = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";

/**
 * The size in bytes of the message a peer was just closed for (after its `socketError` with
 * FRAME_TOO_LARGE), as the frame header declared it — undefined if unknown. ws gives no figure
 * with the error, so this reads its receiver's running total, still set when the error is
 * emitted (ws 8: Receiver#_totalPayloadLength; the frames of a fragmented message so far). Only
 * for the alarm's text: a later ws that moves it makes the alarm say "above the limit" instead.
 */
export function oversizedMessageBytes(peer: RpcPeer): number | undefined {
  const total = (peer as { _ws?: { _receiver?: { _totalPayloadLength?: unknown } } })._ws?._receiver?._totalPayloadLength;
  return typeof total === "number" && Number.isFinite(total) && total > 0 ? total : undefined;
}
