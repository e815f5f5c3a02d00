// Review 4: redaction bypasses, each a shape the agent can plausibly log (an error message quoting
// a JSON body twice, a form body, a name/value pair list, a fetch error's cause, ctl --json).
import { describe, expect, it } from "vitest";
import { formatLine, registerSecret, safeValue } from "../../base/log.ts";

const S = "Zq8vRt2LmWx9";
const line = (fields: Record<string, unknown>) => formatLine("info", "rv4", "probe", fields);
const cases: Record<string, () => string> = {
  "JSON body quoted twice in an error message": () => line({ err: new Error(`bad reply: ${JSON.stringify(JSON.stringify({ password: S }))}`) }),
  "JSON string of an object inside a string field": () => line({ body: JSON.stringify({ note: JSON.stringify({ terminalPassword: S }) }) }),
  "form body, URL-encoded (password%3D)": () => line({ detail: `posted data=user%3Dx%26password%3D${S}` }),
  "query string in an encoded redirect URL": () => line({ location: `https://a/login?next=%2Fcb%3Ftoken%3D${S}` }),
  "name/value pair object (SOAP param list)": () => line({ params: [{ name: "password", value: S }] }),
  "header object { key, value }": () => line({ headers: [{ key: "X-Auth-Token", value: S }] }),
  "odd-length header list": () => line({ h: ["X-Auth-Token", S, "Accept"] }),
  "passcode key": () => line({ passcode: S }),
  "sharedKey key": () => line({ sharedKey: S }),
  "clientKey key": () => line({ clientKey: S }),
  "XML attribute password=\"…\" with spaces": () => line({ xml: `<login password = "${S}"/>` }),
  "XML element with a space before >": () => line({ xml: `<password >${S}</password >` }),
  "XML entity-encoded element in a message": () => line({ m: `fault: &lt;password&gt;${S}&lt;/password&gt;` }),
  "unicode-escaped quote JSON": () => line({ m: `{\\u0022password\\u0022:\\u0022${S}\\u0022}` }),
  "password in a Map key position of a header Map": () => line({ h: new Map([["x-auth-token", S]]) }),
};

describe("no secret survives a log line", () => {
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      const out = make();
      expect(out, out).not.toContain(S);
    });
  }
  it("a registered secret, base64- or URL-encoded, is still masked", () => {
    const tok = "tok+en/with=chars9";
    registerSecret(tok);
    const out = line({ m: `GET /glase/notify/${encodeURIComponent(tok)} b64=${Buffer.from(tok).toString("base64")}` });
    expect(out).not.toContain(encodeURIComponent(tok));
    expect(out).not.toContain(Buffer.from(tok).toString("base64"));
  });
  void safeValue;
});
