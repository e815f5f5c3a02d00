// A small namespace-aware XML reader for SOAP request bodies. Hand-written rather than a general
// library because the simulator must route on namespace URIs (suds binds the envelope namespace
// to two prefixes in one message, contract §8.4) and must reject malformed input with a precise
// message, while staying cheap per request (the client benchmark measures against this server).
// Deliberately unsupported: DTDs (rejected: no entity expansion from untrusted input).

export interface XmlElement {
  /** Local name, prefix stripped. */
  readonly local: string;
  /** Namespace URI the prefix resolved to; undefined = no namespace. */
  readonly ns: string | undefined;
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element (text and CDATA). */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} (at offset ${position})`);
    this.name = "XmlSyntaxError";
  }
}

type NsScope = Record<string, string | undefined>;

const ROOT_SCOPE: NsScope = Object.freeze({ xml: "http://www.w3.org/XML/1998/namespace" }) as NsScope;

interface Frame {
  readonly qname: string;
  readonly scope: NsScope;
  readonly el: XmlElement;
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(raw: string, at: number): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]*);?/g, (whole, name: string, offset: number) => {
    if (!whole.endsWith(";")) throw new XmlSyntaxError(`unterminated entity reference '${whole}'`, at + offset);
    if (name.startsWith("#")) {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) throw new XmlSyntaxError(`bad character reference '${whole}'`, at + offset);
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[name];
    if (value === undefined) throw new XmlSyntaxError(`unknown entity '${whole}'`, at + offset);
    return value;
  });
}

/** Parses a whole document and returns its root element. Throws XmlSyntaxError. */
export function parseXml(src: string): XmlElement {
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = src.length;
  const stack: Frame[] = [];
  let root: XmlElement | undefined;

  const fail = (msg: string, at = i): never => {
    throw new XmlSyntaxError(msg, at);
  };

  const readName = (): string => {
    const start = i;
    if (i >= n || !NAME_START.test(src[i]!)) fail("expected a name");
    i++;
    while (i < n && NAME_CHAR.test(src[i]!)) i++;
    return src.slice(start, i);
  };
  const skipSpace = (): void => {
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const resolve = (qname: string, scope: NsScope, isAttr: boolean): { local: string; ns: string | undefined } => {
    const colon = qname.indexOf(":");
    if (colon < 0) return { local: qname, ns: isAttr ? undefined : scope[""] || undefined };
    const prefix = qname.slice(0, colon);
    const ns = scope[prefix];
    if (ns === undefined) fail(`undeclared namespace prefix '${prefix}'`);
    return { local: qname.slice(colon + 1), ns };
  };

  while (i < n) {
    const lt = src.indexOf("<", i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.el.text += decodeEntities(raw, i);
      else if (raw.trim() !== "") fail("text outside the root element");
      i = textEnd;
      if (lt < 0) break;
    }
    // src[i] === "<"
    if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (src.startsWith("<![CDATA[", i)) {
      const end = src.indexOf("]]>", i + 9);
      if (end < 0) fail("unterminated CDATA section");
      const top = stack[stack.length - 1];
      if (!top) fail("CDATA outside the root element");
      top!.el.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith("<?", i)) {
      const end = src.indexOf("?>", i + 2);
      if (end < 0) fail("unterminated processing instruction");
      i = end + 2;
    } else if (src.startsWith("<!", i)) {
      fail("DOCTYPE and other declarations are not accepted");
    } else if (src[i + 1] === "/") {
      i += 2;
      const qname = readName();
      skipSpace();
      if (src[i] !== ">") fail(`expected '>' to close </${qname}`);
      i++;
      const top = stack.pop();
      if (!top) fail(`unexpected closing tag </${qname}>`);
      if (top!.qname !== qname) fail(`closing tag </${qname}> does not match <${top!.qname}>`);
    } else {
      const tagStart = i;
      i++;
      const qname = readName();
      const parentScope = stack.length ? stack[stack.length - 1]!.scope : ROOT_SCOPE;
      let scope = parentScope;
      const attrs: string[] = [];
      let selfClosing = false;
      for (;;) {
        const before = i;
        skipSpace();
        if (i >= n) fail(`unterminated start tag <${qname}`, tagStart);
        if (src[i] === ">") {
          i++;
          break;
        }
        if (src[i] === "/" && src[i + 1] === ">") {
          i += 2;
          selfClosing = true;
          break;
        }
        if (before === i) fail(`expected whitespace between attributes in <${qname}>`);
        const attrName = readName();
        skipSpace();
        if (src[i] !== "=") fail(`attribute '${attrName}' has no value`);
        i++;
        skipSpace();
        const quote = src[i];
        if (quote !== '"' && quote !== "'") fail(`attribute '${attrName}' value must be quoted`);
        const end = src.indexOf(quote!, i + 1);
        if (end < 0) fail(`unterminated value of attribute '${attrName}'`);
        const value = decodeEntities(src.slice(i + 1, end), i + 1);
        if (value.includes("<")) fail(`'<' in the value of attribute '${attrName}'`);
        i = end + 1;
        if (attrs.includes(attrName)) fail(`duplicate attribute '${attrName}'`);
        attrs.push(attrName);
        if (attrName === "xmlns" || attrName.startsWith("xmlns:")) {
          if (scope === parentScope) scope = Object.create(parentScope) as NsScope;
          scope[attrName === "xmlns" ? "" : attrName.slice(6)] = value;
        }
      }
      for (const a of attrs) if (!a.startsWith("xmlns")) resolve(a, scope, true); // undeclared attribute prefixes are errors too
      const { local, ns } = resolve(qname, scope, false);
      const el: XmlElement = { local, ns, children: [], text: "" };
      const parent = stack[stack.length - 1];
      if (parent) parent.el.children.push(el);
      else if (root) fail("more than one root element", tagStart);
      else root = el;
      if (!selfClosing) stack.push({ qname, scope, el });
    }
  }
  if (stack.length) fail(`unclosed element <${stack[stack.length - 1]!.qname}>`);
  if (!root) fail("no root element");
  return root!;
}

// ---- lenient readers used by the request decoders (contract §1.4) ----

/** First child with this local name, whatever its namespace (children are unqualified, but be lenient). */
export function child(el: XmlElement | undefined, local: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.local === local) return c;
  return undefined;
}

export function childrenNamed(el: XmlElement | undefined, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.local === local) : [];
}

/** An element with neither child elements nor non-blank text: `<x/>` of a complex type = absent (§1.4). */
export function isEmpty(el: XmlElement): boolean {
  return el.children.length === 0 && el.text.trim() === "";
}

/** A complex child, treating an empty one as absent. */
export function complexChild(el: XmlElement | undefined, local: string): XmlElement | undefined {
  const c = child(el, local);
  return c && !isEmpty(c) ? c : undefined;
}

/** Text of a simple child, untrimmed (passwords are compared as sent); undefined when absent. */
export function textOf(el: XmlElement | undefined, local: string): string | undefined {
  return child(el, local)?.text;
}
