// Serialises an operation's children (built in wire order by client-encode.ts) to the body
// fragment soap places inside <soap:Body>. It is handed to soap through soap's own `_xml`
// argument (objectToDocumentXML returns it unchanged), replacing soap's schema-walking
// serialiser for two documented reasons:
//  - speed: soap's objectToXML looks every child up in the schema on every call and was about
//    half of the client's overhead in `npm run bench:soap`; this is a single string pass;
//  - safety: soap passes any string that looks like `<![CDATA[…]]>` through unescaped, so a
//    merchant-supplied title could inject elements; here every text is escaped.
// test/glase/client-xml.test.ts checks the output is byte-identical to soap's serialiser.
// Rules: keys in insertion order (= wire order), `undefined` omitted, arrays repeat the element,
// children unqualified; the wrapper uses the `tns` prefix our WSDL binds on the soap envelope.

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#x9;",
  "\r": "&#xD;",
  "\n": "&#xA;",
};
const SPECIAL = /[&<>"'\t\r\n]/g;

export function escapeXml(text: string): string {
  return text.replace(SPECIAL, (c) => ESCAPES[c]!);
}

function appendElement(out: string[], name: string, value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) appendElement(out, name, item);
    return;
  }
  out.push(`<${name}>`);
  if (typeof value === "object" && value !== null) appendChildren(out, value as Record<string, unknown>);
  else if (value !== null) out.push(escapeXml(String(value)));
  out.push(`</${name}>`);
}

function appendChildren(out: string[], children: Record<string, unknown>): void {
  for (const key of Object.keys(children)) appendElement(out, key, children[key]);
}

/** `<tns:operation>…children…</tns:operation>` */
export function serializeOperation(operation: string, children: Record<string, unknown>): string {
  const out: string[] = [`<tns:${operation}>`];
  appendChildren(out, children);
  out.push(`</tns:${operation}>`);
  return out.join("");
}
