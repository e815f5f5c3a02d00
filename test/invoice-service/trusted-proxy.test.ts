// Review 3 #1: the endpoint listens on loopback, so any local user can reach it without the
// reverse proxy and set X-Forwarded-For — believed from every loopback peer, it let one flooder
// claim a fresh "source" per request and defeat MAX_PENDING_PER_SOURCE and the round-robin.
// X-Forwarded-For now names the source only when invoiceService.trustedProxy says so.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { sourceOf } from "../../agent/invoice-service/notification-endpoint.ts";

const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } }) as unknown as IncomingMessage;

describe("whose X-Forwarded-For names a notification's source", () => {
  it("by default nobody's: a loopback peer claiming 10.9.0.1 is still keyed on its own address", () => {
    expect(sourceOf(req("127.0.0.2", "10.9.0.1"))).toBe("127.0.0.2");
    expect(sourceOf(req("::ffff:127.0.0.1", "10.9.0.2"))).toBe("::ffff:127.0.0.1");
    expect(sourceOf(req("203.0.113.7", "10.9.0.3"), false)).toBe("203.0.113.7");
  });

  it("trustedProxy: true believes it from loopback peers only", () => {
    expect(sourceOf(req("127.0.0.1", "198.51.100.1, 10.9.0.1"), true)).toBe("10.9.0.1");
    expect(sourceOf(req("203.0.113.7", "10.9.0.1"), true)).toBe("203.0.113.7");
    expect(sourceOf(req("127.0.0.1", "not-an-address"), true)).toBe("127.0.0.1");
  });

  it("a list of proxy addresses believes it from those peers only", () => {
    expect(sourceOf(req("::ffff:192.0.2.10", "10.9.0.1"), ["192.0.2.10"])).toBe("10.9.0.1");
    expect(sourceOf(req("127.0.0.1", "10.9.0.1"), ["192.0.2.10"])).toBe("127.0.0.1");
  });

});
