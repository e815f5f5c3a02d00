// The simulator's namespace-aware XML reader: prefixes resolved to URIs, entities, CDATA, and
// precise errors for malformed input (no DTDs).
import { describe, expect, it } from "vitest";
import { child, parseXml, XmlSyntaxError } from "../../simulator/glase/xml.ts";

const ENV = "http://schemas.xmlsoap.org/soap/envelope/";

describe("parseXml", () => {
  it("resolves prefixes, default namespaces and redeclarations to URIs", () => {
    const root = parseXml(
      `<?xml version="1.0"?><!-- c --><a:E xmlns:a="${ENV}" xmlns:b="${ENV}"><b:Body><x:op xmlns:x="urn:t"><c>1</c><d xmlns="urn:d"/></x:op></b:Body></a:E>`,
    );
    expect([root.local, root.ns]).toEqual(["E", ENV]);
    const body = root.children[0]!;
    expect([body.local, body.ns]).toEqual(["Body", ENV]);
    const op = body.children[0]!;
    expect([op.local, op.ns]).toEqual(["op", "urn:t"]);
    expect(op.children.map((c) => [c.local, c.ns])).toEqual([
      ["c", undefined],
      ["d", "urn:d"],
    ]);
  });

  it("decodes entities and character references, keeps CDATA verbatim, keeps whitespace of text", () => {
    const root = parseXml(`<r><a>x &amp; y &lt;z&gt; &#65;&#x42; &quot;&apos;</a><b><![CDATA[<xml> & ]]></b><p> pw </p></r>`);
    expect(child(root, "a")!.text).toBe(`x & y <z> AB "'`);
    expect(child(root, "b")!.text).toBe("<xml> & ");
    expect(child(root, "p")!.text).toBe(" pw ");
  });

  it.each([
    ["", "no root element"],
    ["<a>", "unclosed element"],
    ["<a></b>", "does not match"],
    ["<a/><b/>", "more than one root"],
    ["text", "text outside the root"],
    ["<p:a/>", "undeclared namespace prefix"],
    ["<a b=1/>", "must be quoted"],
    ["<a>&nbsp;</a>", "unknown entity"],
    ["<a>&amp</a>", "unterminated entity"],
    ["<!DOCTYPE a><a/>", "DOCTYPE"],
    ["<a><!-- x</a>", "unterminated comment"],
    ['<a x="1" x="2"/>', "duplicate attribute"],
  ])("rejects %j (%s)", (src, message) => {
    expect(() => parseXml(src)).toThrow(XmlSyntaxError);
    expect(() => parseXml(src)).toThrow(message);
  });
});
