// An HTTP proxy in front of the Glase simulator that reads every request and, for the terminals
// named, answers nothing for `holdMs` (then drops the connection): real hung calls on real
// sockets, so the client's connection handling is what is tested, not a mock of it.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface HangingProxy {
  readonly endpoint: string;
  /** Requests being held right now. */
  held(): number;
  close(): Promise<void>;
}

export async function hangingProxy(target: string, terminals: ReadonlySet<string>, holdMs: number): Promise<HangingProxy> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let held = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const id = /<id>([^<]+)<\/id>/.exec(body.toString("utf8"))?.[1];
      if (id !== undefined && terminals.has(id)) {
        held++;
        let released = false;
        const release = () => (released ? undefined : ((released = true), held--));
        req.socket.once("close", release);
        const t = setTimeout(() => (timers.delete(t), release(), req.socket.destroy()), holdMs);
        timers.add(t);
        return;
      }
      const up = http.request({ host: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on("error", () => res.destroy());
      up.end(body);
    });
  });
  server.on("connection", (s: Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}${url.pathname}`,
    held: () => held,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
