// Reads a SOAP response into the object shape soap's WSDL.xmlToObject produces (the Envelope's
// children by local name, leaves as trimmed text, repeated elements as arrays), replacing soap's
// sax-based parser on the response path (see client-soap.ts). Why:
//  - speed: soap's parser cost about as much as the whole loopback round trip in
//    `npm run bench:soap` (sax tests every name character against Unicode regexes);
//  - fidelity: soap replaces a CDATA section that starts with `<?xml …?>` (report contentString,
//    §3.12) by a parsed object; here CDATA is text.
// It is strict where it matters for "unparsable ⇒ indefinite": unbalanced or unterminated markup,
// unknown entities, DTDs and content outside the root element are errors.
// test/glase/client-parse.test.ts checks it against soap's own parser on the contract examples.

export class XmlSyntaxError extends Error {
  constructor(message: string, position: number) {
    super(`${message} at offset ${position}`);
    this.name = "XmlSyntaxError";
  }
}

type Node = Record<string, unknown>;

interface Frame {
  readonly qname: string;
  readonly local: string;
  readonly node: Node;
  text: string;
  hasChildren: boolean;
  readonly nil: boolean;
}

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENTITY = /&(?:(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);)?/g;

function decodeEntities(text: string, position: number): string {
  if (!text.includes("&")) return text;
  return text.replace(ENTITY, (_m, entity: string | undefined) => {
    if (entity === undefined) throw new XmlSyntaxError("bare '&'", position);
    if (entity.startsWith("#")) {
      const cp = entity[1] === "x" ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      if (!(cp > 0 && cp <= 0x10ffff)) throw new XmlSyntaxError(`bad character reference &${entity};`, position);
      return String.fromCodePoint(cp);
    }
    const ch = PREDEFINED[entity];
    if (ch === undefined) throw new XmlSyntaxError(`unknown entity &${entity};`, position);
    return ch;
  });
}

/** Index of the `>` closing a start tag, skipping quoted attribute values. */
function startTagEnd(xml: string, from: number): number {
  let quote = "";
  for (let j = from; j < xml.length; j++) {
    const c = xml[j];
    if (quote !== "") {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return j;
    else if (c === "<") return -1;
  }
  return -1;
}

function attach(parent: Frame, name: string, value: unknown): void {
  parent.hasChildren = true;
  const existing = parent.node[name];
  if (existing === undefined) parent.node[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else parent.node[name] = [existing, value];
}

function close(frame: Frame, parent: Frame): void {
  if (frame.nil) {
    parent.hasChildren = true; // xsi:nil="true": the element is present but has no value
    return;
  }
  attach(parent, frame.local, frame.hasChildren ? frame.node : frame.text.trim());
}

function isWhitespace(text: string): boolean {
  return /^\s*$/.test(text);
}

/** Parses a whole document; returns the root element's content keyed by local name. */
export function parseXmlDocument(xml: string): { rootName: string; root: Node } {
  const documentFrame: Frame = { qname: "", local: "", node: Object.create(null) as Node, text: "", hasChildren: false, nil: false };
  const stack: Frame[] = [documentFrame];
  let rootName: string | undefined;
  let i = 0;
  const n = xml.length;
  if (xml.charCodeAt(0) === 0xfeff) i = 1; // BOM

  while (i < n) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const raw = xml.slice(i, textEnd);
      const top = stack[stack.length - 1]!;
      if (stack.length === 1) {
        if (!isWhitespace(raw)) throw new XmlSyntaxError("text outside the root element", i);
      } else top.text += decodeEntities(raw, i);
    }
    if (lt === -1) break;

    if (xml.startsWith("<?", lt)) {
      const end = xml.indexOf("?>", lt + 2);
      if (end < 0) throw new XmlSyntaxError("unterminated processing instruction", lt);
      i = end + 2;
    } else if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt + 4);
      if (end < 0) throw new XmlSyntaxError("unterminated comment", lt);
      i = end + 3;
    } else if (xml.startsWith("<![CDATA[", lt)) {
      const end = xml.indexOf("]]>", lt + 9);
      if (end < 0) throw new XmlSyntaxError("unterminated CDATA section", lt);
      if (stack.length === 1) throw new XmlSyntaxError("CDATA outside the root element", lt);
      stack[stack.length - 1]!.text += xml.slice(lt + 9, end);
      i = end + 3;
    } else if (xml.startsWith("<!", lt)) {
      // SOAP 1.1 forbids a DTD; refusing it also rules out entity-expansion tricks.
      throw new XmlSyntaxError("DTD not allowed", lt);
    } else if (xml[lt + 1] === "/") {
      const end = xml.indexOf(">", lt + 2);
      if (end < 0) throw new XmlSyntaxError("unterminated end tag", lt);
      const qname = xml.slice(lt + 2, end).trim();
      const frame = stack.pop()!;
      if (stack.length === 0 || frame.qname !== qname) throw new XmlSyntaxError(`unexpected </${qname}>`, lt);
      close(frame, stack[stack.length - 1]!);
      i = end + 1;
    } else {
      const end = startTagEnd(xml, lt + 1);
      if (end < 0) throw new XmlSyntaxError("unterminated start tag", lt);
      const selfClosing = xml[end - 1] === "/";
      const inner = xml.slice(lt + 1, selfClosing ? end - 1 : end);
      const qname = /^[^\s/>]+/.exec(inner)?.[0];
      if (qname === undefined) throw new XmlSyntaxError("missing element name", lt);
      const attributes = inner.slice(qname.length);
      if (stack.length === 1) {
        if (rootName !== undefined) throw new XmlSyntaxError("more than one root element", lt);
        rootName = qname.slice(qname.indexOf(":") + 1);
      }
      const frame: Frame = {
        qname,
        local: qname.slice(qname.indexOf(":") + 1),
        // No prototype: an element named __proto__, constructor or toString is just a name,
        // never a way to reach (or pollute) Object.prototype.
        node: Object.create(null) as Node,
        text: "",
        hasChildren: false,
        nil: attributes.includes("nil") && /:nil\s*=\s*["'](?:true|1)["']/.test(attributes),
      };
      if (selfClosing) close(frame, stack[stack.length - 1]!);
      else stack.push(frame);
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new XmlSyntaxError(`<${stack[stack.length - 1]!.qname}> is not closed`, n);
  if (rootName === undefined) throw new XmlSyntaxError("no root element", n);
  const root = documentFrame.node[rootName];
  return { rootName, root: typeof root === "object" && root !== null ? (root as Node) : (Object.create(null) as Node) };
}

/** soap's contract for xmlToObject: the Envelope content, or an Error for a SOAP Fault. */
export function parseSoapEnvelope(xml: string): Node {
  const { rootName, root } = parseXmlDocument(xml);
  if (rootName !== "Envelope") throw new XmlSyntaxError(`root element is <${rootName}>, not a SOAP Envelope`, 0);
  const body = root.Body;
  if (typeof body === "object" && body !== null && "Fault" in body) {
    const fault = (body as Node).Fault as Node | string;
    const f = typeof fault === "object" && fault !== null ? fault : {};
    throw new Error(`${String(f.faultcode ?? "")}: ${String(f.faultstring ?? "")}`);
  }
  return root;
}
