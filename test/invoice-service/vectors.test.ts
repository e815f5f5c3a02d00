// Published test vectors of the Invoice Service (contract §7.2 token, §7.4 JWT) and the JWT field rules.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { issuerToken, constantTimeEqual } from "../../agent/invoice-service/token.ts";
import { payloadOf, signInvoiceJwt, verifyInvoiceJwt } from "../../agent/invoice-service/jwt.ts";
import { invoiceQr, jwtOfQr } from "../../agent/invoice-service/qr.ts";
import { amountMinorOf, invoiceDetailsSchema, renderDetailsJson } from "../../agent/invoice-service/details.ts";

const DOC_JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImlzcyI6ImV4YW1wbGUifQ" +
  ".eyJhIjoiMjkuOTkiLCJjIjoiU0VLIiwiZCI6IlRlc3QgaW52b2ljZSIsInIiOiJSODIwOTE5IiwibyI6ImZhbHNlIn0" +
  ".PwBs2SXHLMC3sofiSWayX180XM7i3wANOdZTjmXHmLg";

const secrets = (name: string) => (name === "example" ? "5ecr3t" : undefined);

describe("X-Auth-Token (§7.2)", () => {
  it("reproduces the documented vector", () => {
    expect(issuerToken("abc", "SECRET_STRING_FOR_ISSUER")).toBe("1be46a9bb3efac8e7b691c06cb6d7bea43c5522a64a1cbfd5f511e67de6440c0");
  });
  it("compares tokens of any length without throwing", () => {
    const t = issuerToken("abc", "SECRET_STRING_FOR_ISSUER");
    expect(constantTimeEqual(t, t)).toBe(true);
    expect(constantTimeEqual(t.toUpperCase(), t)).toBe(false);
    expect(constantTimeEqual("", t)).toBe(false);
    expect(constantTimeEqual(t + "0", t)).toBe(false);
  });
});

describe("invoice JWT (§7.4)", () => {
  const claims = { description: "Test invoice", amountMinor: 2999, currency: "SEK", reference: "R820919", payOnce: false };

  it("signs the documented example to the documented JWT, header key order included", () => {
    expect(signInvoiceJwt("example", "5ecr3t", payloadOf(claims))).toBe(DOC_JWT);
    expect(invoiceQr(DOC_JWT)).toBe(`HTTP://SEQR.SE/000/invoice?j=${DOC_JWT}`);
    expect(jwtOfQr(invoiceQr(DOC_JWT))).toBe(DOC_JWT);
    expect(jwtOfQr(invoiceQr(DOC_JWT, "pay.glase.test"))).toBeUndefined();
    expect(jwtOfQr(invoiceQr(DOC_JWT, "pay.glase.test"), "PAY.glase.test")).toBe(DOC_JWT);
  });

  it("verifies the documented JWT and returns typed claims", () => {
    const v = verifyInvoiceJwt(DOC_JWT, secrets);
    expect(v).toEqual({ ok: true, issuer: "example", payload: { a: "29.99", c: "SEK", d: "Test invoice", r: "R820919", o: "false" }, claims });
  });

  it("names the signature when the secret differs or a payload byte changed", () => {
    expect(verifyInvoiceJwt(DOC_JWT, () => "other")).toMatchObject({ ok: false, field: "signature" });
    const [h, p, s] = DOC_JWT.split(".");
    const tampered = Buffer.from(JSON.stringify({ a: "0.01", c: "SEK", d: "Test invoice", r: "R820919", o: "false" })).toString("base64url");
    expect(verifyInvoiceJwt(`${h}.${tampered}.${s}`, secrets)).toMatchObject({ ok: false, field: "signature" });
    expect(verifyInvoiceJwt(`${h}.${p}`, secrets)).toMatchObject({ ok: false, field: "jwt" });
  });

  it("names the header field at fault", () => {
    const seg = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const [, p, s] = DOC_JWT.split(".");
    expect(verifyInvoiceJwt(`${seg({ alg: "none", typ: "JWT", iss: "example" })}.${p}.${s}`, secrets)).toMatchObject({ ok: false, field: "alg" });
    expect(verifyInvoiceJwt(`${seg({ alg: "HS256", typ: "JWT", iss: "nobody" })}.${p}.${s}`, secrets)).toMatchObject({ ok: false, field: "iss" });
    expect(verifyInvoiceJwt(`${seg({ alg: "HS256", typ: "JWT" })}.${p}.${s}`, secrets)).toMatchObject({ ok: false, field: "iss" });
    expect(verifyInvoiceJwt(`%%%.${p}.${s}`, secrets)).toMatchObject({ ok: false, field: "header" });
  });

  it.each([
    [{ description: "x".repeat(51) }, "d"],
    [{ description: "" }, "d"],
    [{ description: "semi;colon" }, "d"],
    [{ description: "under_score" }, "d"],
    [{ reference: "r".repeat(31) }, "r"],
    [{ reference: "a#b" }, "r"],
    [{ amountMinor: 0 }, "a"],
    [{ amountMinor: -100 }, "a"],
    [{ amountMinor: 1.5 }, "a"],
    [{ currency: "SE" }, "c"],
    [{ currency: "sek" }, "c"],
  ])("refuses to issue %o (field %s)", (patch, field) => {
    expect(() => payloadOf({ ...claims, ...patch })).toThrow(expect.objectContaining({ code: "INPUT_INVALID", context: { field } }));
  });

  it("accepts the edges of the field rules", () => {
    const edge = { ...claims, description: `${"d".repeat(40)} (x)-/,.'"`, reference: "Å".repeat(30), payOnce: true };
    const jwt = signInvoiceJwt("example", "5ecr3t", payloadOf(edge));
    expect(verifyInvoiceJwt(jwt, secrets)).toMatchObject({ ok: true, claims: edge });
  });

  it("rejects a signed payload that breaks a field rule, naming the field", () => {
    const seg = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    // The signer only takes valid payloads, so sign raw with node:crypto like a foreign issuer would.
    const sign = (payload: object) => `${seg({ alg: "HS256", typ: "JWT", iss: "example" })}.${seg(payload)}`;
    const resign = (unsigned: string) => {
      const key = createHash("sha256").update("5ecr3t").digest();
      return `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`;
    };
    expect(verifyInvoiceJwt(resign(sign({ a: "29.999", c: "SEK", d: "x", r: "y", o: "false" })), secrets)).toMatchObject({ ok: false, field: "a" });
    expect(verifyInvoiceJwt(resign(sign({ a: "29.99", c: "SEK", d: "x", r: "y", o: "yes" })), secrets)).toMatchObject({ ok: false, field: "o" });
    expect(verifyInvoiceJwt(resign(sign({ a: "29.99", c: "SEK", d: "x", r: "y" })), secrets)).toMatchObject({ ok: true, claims: { payOnce: false } });
    expect(verifyInvoiceJwt(resign(sign({ a: 29.99, c: "SEK", d: "x", r: "y", o: "false" })), secrets)).toMatchObject({ ok: false, field: "a" });
  });
});

describe("invoice details JSON (§7.2)", () => {
  const record = {
    id: 9031,
    description: "Broadband 03.2024",
    amountMinor: 34900,
    currency: "SEK",
    status: "PAID",
    reference: "INV-2024-03-77120",
    ersReference: "2024031514220991101000512",
    purchaseTime: "15.03.2024 14:22:09",
    payerMsisdn: "46701234567",
  };

  it("writes the contract example byte for byte and reads it back", () => {
    const text = renderDetailsJson(record);
    expect(text).toBe(
      '{"id":9031,"description":"Broadband 03.2024","amount":349.00,"currency":"SEK","status":"PAID","reference":"INV-2024-03-77120",' +
        '"ersReference":"2024031514220991101000512","purchaseTime":"15.03.2024 14:22:09","payerMsisdn":"46701234567"}',
    );
    const parsed = invoiceDetailsSchema.parse(JSON.parse(text));
    expect(amountMinorOf(parsed)).toBe(34900);
    expect(amountMinorOf(invoiceDetailsSchema.parse({ ...parsed, amount: 59.99 }))).toBe(5999);
  });

  it.each([
    [{ amount: 59.999 }, "amount"],
    [{ amount: -1 }, "amount"],
    [{ amount: "59.99" }, "amount"],
    [{ purchaseTime: "2024-03-15 14:22:09" }, "purchaseTime"],
    [{ purchaseTime: "15.03.2024 24:00:00" }, "purchaseTime"],
    [{ currency: "kr" }, "currency"],
    [{ id: "9031" }, "id"],
  ])("rejects %o", (patch, field) => {
    const result = invoiceDetailsSchema.safeParse({ ...JSON.parse(renderDetailsJson(record)), ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });
});
