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
// Characters XML 1.0 does not allow at all (§2.2), not even as character references: C0 controls
// other than tab/CR/LF, U+FFFE/U+FFFF and unpaired surrogates. A text that carries one (a grade
// name from a controller, a pasted description) would make the whole request unparsable for
// Glase — and "unparsable" is indefinite for a payment — so they are stripped.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` without the characters XML forbids. */
export function xmlSafe(text: string): string {
  FORBIDDEN.lastIndex = 0;
  return FORBIDDEN.test(text) ? text.replace(FORBIDDEN, "") : text;
}

export function escapeXml(text: string): string {
  const safe = xmlSafe(text);
  SPECIAL.lastIndex = 0;
  return SPECIAL.test(safe) ? safe.replace(SPECIAL, (c) => ESCAPES[c]!) : safe;
}

function element(name: string, value: unknown): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) {
    let out = "";
    for (const item of value) out += element(name, item);
    return out;
  }
  if (typeof value === "object" && value !== null) return `<${name}>${children(value as Record<string, unknown>)}</${name}>`;
  return `<${name}>${value === null ? "" : escapeXml(String(value))}</${name}>`;
}

function children(node: Record<string, unknown>): string {
  let out = "";
  for (const key in node) out += element(key, node[key]);
  return out;
}

/** `<tns:operation>…children…</tns:operation>` */
export function serializeOperation(operation: string, body: Record<string, unknown>): string {
  return `<tns:${operation}>${children(body)}</tns:${operation}>`;
}
