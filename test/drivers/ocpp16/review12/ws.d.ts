// The slice of `ws` (installed with ocpp-rpc, which depends on it) that the raw-WebSocket test
// chargers use: no @types/ws dependency for one test helper.
declare module "ws" {
  import type { IncomingMessage } from "node:http";
  class WebSocket {
    constructor(url: string, protocols?: string[], options?: { headers?: Record<string, string>; localAddress?: string });
    static readonly OPEN: number;
    readonly readyState: number;
    send(data: string): void;
    close(): void;
    on(event: "close", listener: (code: number) => void): this;
    on(event: "message", listener: (data: Buffer) => void): this;
    on(event: "open", listener: () => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "unexpected-response", listener: (req: unknown, res: IncomingMessage) => void): this;
    once(event: "open", listener: () => void): this;
    once(event: "error", listener: (err: Error) => void): this;
    once(event: "unexpected-response", listener: (req: unknown, res: IncomingMessage) => void): this;
  }
  export default WebSocket;
}
