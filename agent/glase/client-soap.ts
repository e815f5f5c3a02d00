// The soap 1.13 client under GlaseClient, built from our own WSDL (agent/glase/wsdl.ts) and the
// schema file beside it: nothing is fetched over the network at startup. soap parses the WSDL,
// resolves the imported schema, checks the operation set and binding, builds every envelope and
// dispatches the call; two slow parts are replaced through soap's own extension points, each
// proven equivalent by a test:
//  - request bodies: pre-serialised, passed as soap's `_xml` argument (client-xml.ts);
//  - response parsing: a soap.WSDL subclass overrides xmlToObject (client-parse.ts).
// The parsed WSDL is cached per endpoint, so clients of one endpoint share one parse.
import soap from "soap";
import type { Client, WSDL } from "soap";
import { buildWsdl, XSD_PATH } from "../../contracts/glase/wsdl.ts";
import type { KeepAliveHttpClient, WireCallOptions } from "./client-transport.ts";
import { serializeOperation } from "./client-xml.ts";
import { parseSoapEnvelope } from "./client-parse.ts";

class GlaseWsdl extends soap.WSDL {
  override xmlToObject(xml: unknown, callback?: unknown): unknown {
    // soap streams only when asked to (`stream` option), which we never do; keep its path intact.
    if (typeof callback === "function") return super.xmlToObject(xml, callback);
    return parseSoapEnvelope(String(xml));
  }
}

const wsdlCache = new Map<string, Promise<WSDL>>();

function loadWsdl(endpoint: string): Promise<WSDL> {
  let pending = wsdlCache.get(endpoint);
  if (!pending) {
    pending = new Promise<WSDL>((resolve, reject) => {
      // The uri only anchors relative schema locations; ours is absolute (XSD_PATH).
      const wsdl = new GlaseWsdl(buildWsdl(endpoint, XSD_PATH), XSD_PATH, {});
      wsdl.onReady((err) => (err ? reject(err) : resolve(wsdl)));
    });
    pending.catch(() => wsdlCache.delete(endpoint));
    wsdlCache.set(endpoint, pending);
  }
  return pending;
}

export async function createSoapClient(endpoint: string, httpClient: KeepAliveHttpClient): Promise<Client> {
  const wsdl = await loadWsdl(endpoint);
  return new soap.Client(wsdl, endpoint, { httpClient: httpClient as unknown as soap.IHttpClient });
}

type SoapMethod = (
  args: unknown,
  callback: (err: unknown, result: unknown) => void,
  options: { wire: WireCallOptions },
) => void;

/**
 * Calls one operation; resolves with the parsed `<op>Response` element (or rejects raw).
 * soap builds the envelope around our body, posts it through our transport and picks the
 * response element for the operation's output message.
 */
export function invokeSoap(client: Client, operation: string, args: Record<string, unknown>, wire: WireCallOptions): Promise<unknown> {
  const method = (client as unknown as Record<string, SoapMethod | undefined>)[operation];
  if (typeof method !== "function") return Promise.reject(new Error(`operation ${operation} is not in the WSDL`));
  return new Promise((resolve, reject) => {
    const body = { _xml: serializeOperation(operation, args) };
    method.call(client, body, (err, result) => (err ? reject(err) : resolve(result)), { wire });
  });
}
