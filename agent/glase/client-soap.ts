// The soap 1.13 client under GlaseClient, built from our own WSDL (agent/glase/wsdl.ts) and the
// schema file beside it: nothing is fetched over the network at startup. soap caches the parsed
// WSDL per document, so clients of the same endpoint share one parse.
import soap from "soap";
import type { Client } from "soap";
import { buildWsdl, XSD_PATH } from "./wsdl.ts";
import type { KeepAliveHttpClient, WireCallOptions } from "./client-transport.ts";
import { serializeOperation } from "./client-xml.ts";

const keepText = (t: string): string => t;

/**
 * Leaves every typed leaf as its raw text: soap would turn xs:decimal amounts into floats and
 * xs:dateTime into Date objects; client-decode.ts converts exactly instead.
 */
const RAW_TEXT_DESERIALIZER = {
  int: keepText,
  integer: keepText,
  long: keepText,
  short: keepText,
  decimal: keepText,
  double: keepText,
  float: keepText,
  boolean: keepText,
  dateTime: keepText,
  date: keepText,
};

export async function createSoapClient(endpoint: string, httpClient: KeepAliveHttpClient): Promise<Client> {
  return soap.createClientAsync(buildWsdl(endpoint, XSD_PATH), {
    endpoint,
    httpClient: httpClient as unknown as soap.IHttpClient,
    customDeserializer: RAW_TEXT_DESERIALIZER,
  });
}

type SoapMethod = (
  args: unknown,
  callback: (err: unknown, result: unknown) => void,
  options: { wire: WireCallOptions },
) => void;

/**
 * Calls one operation; resolves with soap's parsed `<op>Response` element (or rejects raw).
 * The body goes in pre-serialised through soap's `_xml` argument (see client-xml.ts); soap
 * still builds the envelope, posts it through our transport and parses the answer.
 */
export function invokeSoap(client: Client, operation: string, args: Record<string, unknown>, wire: WireCallOptions): Promise<unknown> {
  const method = (client as unknown as Record<string, SoapMethod | undefined>)[operation];
  if (typeof method !== "function") return Promise.reject(new Error(`operation ${operation} is not in the WSDL`));
  return new Promise((resolve, reject) => {
    const body = { _xml: serializeOperation(operation, args) };
    method.call(client, body, (err, result) => (err ? reject(err) : resolve(result)), { wire });
  });
}
