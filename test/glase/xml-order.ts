// Reads a captured request with fast-xml-parser in order-preserving mode, so tests can assert
// the exact sequence of child elements on the wire (and their namespaces) independently of soap.
import { XMLParser } from "fast-xml-parser";

export interface XmlElement {
  readonly name: string; // qualified name as written (prefix:local)
  readonly local: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  readonly text: string;
}

type OrderedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "", parseTagValue: false, trimValues: false });

function convert(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ":@");
  if (name === undefined || name === "#text" || name.startsWith("?")) return undefined;
  const content = (node[name] as OrderedNode[]) ?? [];
  const children = content.map(convert).filter((c): c is XmlElement => c !== undefined);
  const text = content.map((c) => (typeof c["#text"] === "string" || typeof c["#text"] === "number" ? String(c["#text"]) : "")).join("");
  return { name, local: name.includes(":") ? name.slice(name.indexOf(":") + 1) : name, attributes: node[":@"] ?? {}, children, text };
}

export function parseXml(xml: string): XmlElement {
  const nodes = parser.parse(xml) as OrderedNode[];
  const root = nodes.map(convert).find((e) => e !== undefined);
  if (!root) throw new Error("no root element");
  return root;
}

/** The operation wrapper element inside Envelope/Body. */
export function bodyElement(xml: string): XmlElement {
  const env = parseXml(xml);
  const body = env.children.find((c) => c.local === "Body");
  const op = body?.children[0];
  if (!op) throw new Error("no body element");
  return op;
}

export function child(el: XmlElement, ...path: string[]): XmlElement {
  let cur = el;
  for (const p of path) {
    const next = cur.children.find((c) => c.local === p);
    if (!next) throw new Error(`no <${p}> under <${cur.name}>`);
    cur = next;
  }
  return cur;
}

export const names = (el: XmlElement): string[] => el.children.map((c) => c.name);
