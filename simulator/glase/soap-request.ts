// Request decoding, lenient per contract §1.4: children in any order, empty complex elements =
// absent, missing context fields, unknown children ignored, flat parameter maps (§9 A25).
// Values stay strings here; the area modules validate them (so bad data becomes a result code
// such as 49, not a parse failure).
import { child, childrenNamed, complexChild, isEmpty, textOf, type XmlElement } from "./xml.ts";

export interface RequestContext {
  principalType?: string;
  principalId?: string;
  userId?: string;
  password?: string;
}

export interface RawAmount {
  currency?: string;
  value?: string;
}

export interface RawRow {
  itemDescription?: string;
  itemDiscount?: RawAmount;
  itemEAN?: string;
  itemQuantity?: string;
  itemSKU?: string;
  itemTaxRate?: string;
  itemTotalAmount?: RawAmount;
  itemUnit?: string;
  itemUnitPrice?: RawAmount;
}

export interface RawInvoice {
  paymentMode?: string;
  acknowledgmentMode?: string;
  issueDate?: string;
  title?: string;
  clientInvoiceId?: string;
  invoiceRows?: RawRow[];
  totalAmount?: RawAmount;
  cashierId?: string;
  footer?: string;
  backURL?: string;
  notificationUrl?: string;
  commitReservationTimeout?: string;
}

export interface RawToken {
  description?: string;
  id?: string;
  status?: string;
  value?: string;
}

/** A request that cannot be unmarshalled at all (answered with a soap:Client fault). */
export class UnmarshalError extends Error {
  constructor(message: string) {
    super(`Unmarshalling Error: ${message}`);
    this.name = "UnmarshalError";
  }
}

function simpleText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  if (!c) return undefined;
  return c.text.trim();
}

/** Simple string fields: an empty element is an empty string for JAXB; treat it as absent. */
function opt(el: XmlElement | undefined, name: string): string | undefined {
  const t = textOf(el, name);
  return t === undefined || t === "" ? undefined : t;
}

export function decodeContext(wrapper: XmlElement): RequestContext {
  const ctx = complexChild(wrapper, "context");
  const principal = complexChild(ctx, "initiatorPrincipalId");
  return {
    principalType: simpleText(principal, "type"),
    principalId: textOf(principal, "id"),
    userId: simpleText(principal, "userId"),
    password: textOf(ctx, "password"),
  };
}

export function decodeAmount(el: XmlElement | undefined): RawAmount | undefined {
  if (!el || isEmpty(el)) return undefined;
  return { currency: simpleText(el, "currency"), value: simpleText(el, "value") };
}

function decodeRow(el: XmlElement): RawRow {
  return {
    itemDescription: opt(el, "itemDescription"),
    itemDiscount: decodeAmount(child(el, "itemDiscount")),
    itemEAN: opt(el, "itemEAN"),
    itemQuantity: simpleText(el, "itemQuantity") || undefined,
    itemSKU: opt(el, "itemSKU"),
    itemTaxRate: simpleText(el, "itemTaxRate") || undefined,
    itemTotalAmount: decodeAmount(child(el, "itemTotalAmount")),
    itemUnit: opt(el, "itemUnit"),
    itemUnitPrice: decodeAmount(child(el, "itemUnitPrice")),
  };
}

export function decodeInvoice(el: XmlElement | undefined): RawInvoice | undefined {
  if (!el || isEmpty(el)) return undefined;
  const rowsEl = complexChild(el, "invoiceRows");
  // suds 1.x names the rows after their type (`paymentInvoiceRow`), §8.4.
  const rowEls = rowsEl ? rowsEl.children.filter((c) => (c.local === "invoiceRow" || c.local === "paymentInvoiceRow") && !isEmpty(c)) : undefined;
  return {
    paymentMode: simpleText(el, "paymentMode") || undefined,
    acknowledgmentMode: simpleText(el, "acknowledgmentMode") || undefined,
    issueDate: simpleText(el, "issueDate") || undefined,
    title: opt(el, "title"),
    clientInvoiceId: opt(el, "clientInvoiceId"),
    invoiceRows: rowEls?.map(decodeRow),
    totalAmount: decodeAmount(child(el, "totalAmount")),
    cashierId: opt(el, "cashierId"),
    footer: opt(el, "footer"),
    backURL: opt(el, "backURL"),
    notificationUrl: opt(el, "notificationUrl"),
    commitReservationTimeout: simpleText(el, "commitReservationTimeout") || undefined,
  };
}

/** `tokens` repeat directly under the wrapper (no container), §2. */
export function decodeTokens(wrapper: XmlElement): RawToken[] {
  return childrenNamed(wrapper, "tokens")
    .filter((t) => !isEmpty(t))
    .map((t) => ({ description: opt(t, "description"), id: opt(t, "id"), status: simpleText(t, "status"), value: opt(t, "value") }));
}

/**
 * parameterMap: jar shape `parameters/parameter/entry/{key,value}`; also `parameters/entry` and
 * `entry` directly under the wrapper (FAQ / manual shapes, §9 A25).
 */
export function decodeParameters(wrapper: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  const params = child(wrapper, "parameters");
  const entries = [
    ...childrenNamed(child(params, "parameter"), "entry"),
    ...childrenNamed(params, "entry"),
    ...childrenNamed(wrapper, "entry"),
  ];
  for (const e of entries) {
    const key = textOf(e, "key")?.trim();
    if (key) out[key] = textOf(e, "value")?.trim() ?? "";
  }
  return out;
}

/** xs:int with the §1.4 rule: empty element = 0; absent = 0 (Metro behaviour for a primitive). */
export function decodeInt(wrapper: XmlElement, name: string): number {
  const t = simpleText(wrapper, name);
  if (t === undefined || t === "") return 0;
  if (!/^[+-]?\d{1,10}$/.test(t)) throw new UnmarshalError(`Not a number: ${t}`);
  return Number.parseInt(t, 10);
}

export function decodeString(wrapper: XmlElement, name: string): string | undefined {
  return textOf(wrapper, name);
}
