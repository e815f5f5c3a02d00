// Invoice Service authentication token (contract §7.2): lowercase hex SHA-256 of the UTF-8
// string issuerName + secret, no separator. Sent by the issuer in `X-Auth-Token` on the details
// and report requests; checked by the simulator in constant time.
import { createHash, timingSafeEqual } from "node:crypto";

export function issuerToken(issuerName: string, secret: string): string {
  return createHash("sha256").update(issuerName + secret, "utf8").digest("hex");
}

/**
 * Constant-time string comparison. Both sides are hashed first so the comparison takes the same
 * time whatever the length of the presented value (timingSafeEqual needs equal lengths, and an
 * early length check would leak the expected length).
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
