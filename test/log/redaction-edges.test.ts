// Redaction's edges (review 3 #7): a quoted value runs to its own unescaped closing quote (the
// other quote and `\"` inside are part of it), a secret element's content is everything up to
// its closing tag (text around CDATA sections and comments too), and prose `password is "x"`.
// Then a property: for secrets drawn from every character the encodings can carry, written the
// way logs, JSON, SOAP and prose write them, the secret never appears in the redacted text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeValue, scrubText } from "../../agent/log.ts";

describe("redaction: review 3's misses", () => {
  it.each([
    [`password "ab'cd-r3q1"`, "cd-r3q1"],
    [`[["X-Auth-Token","ab'cd-r3q2"]]`, "cd-r3q2"],
    [`{"headers":{"X-Auth-Token":"ab\\"cd-r3q3"}}`, "cd-r3q3"],
    [`<password>ab-r3x1<![CDATA[cd-r3x2]]></password>`, "r3x"],
    [`<password><![CDATA[ab-r3x3]]>cd-r3x4</password>`, "r3x"],
    [`<password>ab-r3x5<!-- c -->cd-r3x6</password>`, "r3x"],
    [`password is "abcd-r3p1"`, "r3p1"],
    [`the token was 'abcd-r3p2'`, "r3p2"],
  ])("%s", (text, leak) => {
    expect(scrubText(text)).not.toContain(leak);
  });

  it("still leaves what follows a secret alone", () => {
    expect(scrubText(`<password>a<!-- x -->b</password><point>3</point>`)).toContain("<point>3</point>");
    expect(scrubText(`{"password":"a\\"b","point":3}`)).toContain(`"point":3`);
    expect(scrubText(`password is "x-r3" for point 3`)).toContain("for point 3");
  });
});

/** Characters a secret may hold: letters, digits, both quotes, backslash, markup and separators. */
const secretChar = fc.constantFrom(..."abcdefXYZ0123456789-_.~!#$%&*+/=?@^|'\"\\<>[]{}():;, ".split(""));
const secret = fc.string({ unit: secretChar, minLength: 6, maxLength: 40 }).filter((s) => /[A-Za-z0-9]/.test(s) && s.trim() === s);
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const backslashed = (s: string, q: string) => s.replace(/\\/g, "\\\\").replace(new RegExp(q, "g"), `\\${q}`);

/** How logs carry a secret: each gives the text with the secret written in, and how it is written. */
const ENCODINGS: ReadonlyArray<(s: string) => { text: string; written: string }> = [
  (s) => ({ text: JSON.stringify({ point: 3, password: s, at: 1 }), written: JSON.stringify(s).slice(1, -1) }),
  (s) => ({ text: `headers ${JSON.stringify([["X-Auth-Token", s], ["Host", "kiosk"]])}`, written: JSON.stringify(s).slice(1, -1) }),
  (s) => ({ text: `<soap:Body><terminalPassword>${xmlEscape(s)}</terminalPassword><point>3</point>`, written: xmlEscape(s) }),
  (s) => ({ text: `<password><![CDATA[${s.replace(/]]>/g, "]]]]><![CDATA[>")}]]></password>`, written: s }),
  (s) => ({ text: `login failed: password "${backslashed(s, '"')}" on point 3`, written: backslashed(s, '"') }),
  (s) => ({ text: `login failed: password '${backslashed(s, "'")}' on point 3`, written: backslashed(s, "'") }),
  (s) => ({ text: `the password is "${backslashed(s, '"')}"`, written: backslashed(s, '"') }),
  (s) => ({ text: `retry with ${new URLSearchParams({ client_secret: s, grant: "x" })}`, written: new URLSearchParams({ v: s }).toString().slice(2) }),
  // Review 4 #6: a form body URL-encoded inside another (password%3D…), an encoded redirect URL,
  // an entity-escaped element in a SOAP fault string, the keys passcode/sharedKey/clientKey, a JSON
  // body quoted again inside a string.
  (s) => ({ text: `posted data=user%3Dx%26password%3D${encodeURIComponent(encodeURIComponent(s))}%26point%3D3`, written: encodeURIComponent(encodeURIComponent(s)) }),
  // (inside an encoded URL the inner value is encoded twice: %26 there is always a separator)
  (s) => ({ text: `location=https://a/login?next=%2Fcb%3Ftoken%3D${encodeURIComponent(encodeURIComponent(s))} point=3`, written: encodeURIComponent(encodeURIComponent(s)) }),
  (s) => ({ text: `fault: &lt;password&gt;${xmlEscape(xmlEscape(s))}&lt;/password&gt;&lt;point&gt;3&lt;/point&gt;`, written: xmlEscape(xmlEscape(s)) }),
  (s) => ({ text: JSON.stringify({ point: 3, passcode: s }), written: JSON.stringify(s).slice(1, -1) }),
  (s) => ({ text: JSON.stringify({ sharedKey: s, at: 1 }), written: JSON.stringify(s).slice(1, -1) }),
  (s) => ({ text: JSON.stringify({ clientKey: s, at: 1 }), written: JSON.stringify(s).slice(1, -1) }),
  (s) => ({ text: `bad reply: ${JSON.stringify(JSON.stringify({ password: s.replace(/["\\]/g, "") }))}`, written: JSON.stringify(JSON.stringify(s.replace(/["\\]/g, ""))).slice(3, -3) }),
];

describe("redaction: property", () => {
  it("a { name, value } pair's value is masked when the name is secret-looking (SOAP parameter lists, header arrays)", () => {
    fc.assert(
      fc.property(secret, fc.constantFrom("password", "X-Auth-Token", "passcode", "sharedKey", "clientKey"), fc.constantFrom("name", "key"), (s, name, field) => {
        fc.pre(!`${name} ${field} value params point`.includes(s) && !"***".includes(s));
        const out = JSON.stringify(safeValue({ params: [{ [field]: name, value: s }, { [field]: "point", value: 3 }] }));
        return !out.includes(s) && !out.includes(JSON.stringify(s).slice(1, -1)) && out.includes(`"value":3`);
      }),
      { numRuns: 500, seed: 1015 },
    );
  });

  it("no generated secret appears in the redacted text, whatever characters it holds and however it is written", () => {
    fc.assert(
      fc.property(secret, fc.integer({ min: 0, max: ENCODINGS.length - 1 }), (s, which) => {
        const { text, written } = ENCODINGS[which]!(s);
        // The secret must not be a piece of the surrounding text itself (then any output "shows" it).
        const around = text.replace(written, "");
        fc.pre(!around.includes(written) && !around.includes(s) && !"***".includes(s));
        const out = scrubText(text);
        return !out.includes(written) && !out.includes(s);
      }),
      { numRuns: 3_000, seed: 1015 },
    );
  });
});
