// The published WSDL (contract §1.3, Appendix B): Metro layout, a stub schema that imports the
// real schema from `?xsd=1`, all 19 operations of the portType (13 merchant + 6 ERS-only, §8.4).
// Used by the simulator (served with the request's host) and by our client (a local copy that
// points at the schema file beside it).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERS_ONLY_OPERATIONS, GLASE_NAMESPACE, MERCHANT_OPERATIONS } from "./types.ts";

export const XSD_PATH = fileURLToPath(new URL("./wsdl/cashregister-2.xsd", import.meta.url));

let xsdCache: string | undefined;
/** The schema of Appendix A (+ the six ERS-only operations), served at `?xsd=1`. */
export function schemaText(): string {
  xsdCache ??= readFileSync(XSD_PATH, "utf8");
  return xsdCache;
}

const ALL_OPERATIONS: readonly string[] = [...MERCHANT_OPERATIONS, ...ERS_ONLY_OPERATIONS];

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/**
 * @param address     soap:address location (absolute URL of the endpoint)
 * @param schemaUrl   schemaLocation of the imported schema (absolute `…?xsd=1`, or a file path)
 */
export function buildWsdl(address: string, schemaUrl: string): string {
  const messages = ALL_OPERATIONS.map(
    (op) =>
      `  <message name="${op}">\n    <part name="parameters" element="tns:${op}"/>\n  </message>\n` +
      `  <message name="${op}Response">\n    <part name="parameters" element="tns:${op}Response"/>\n  </message>`,
  ).join("\n");
  const portOps = ALL_OPERATIONS.map(
    (op) => `    <operation name="${op}">\n      <input message="tns:${op}"/>\n      <output message="tns:${op}Response"/>\n    </operation>`,
  ).join("\n");
  const bindingOps = ALL_OPERATIONS.map(
    (op) =>
      `    <operation name="${op}">\n      <soap:operation soapAction=""/>\n` +
      `      <input><soap:body use="literal"/></input>\n      <output><soap:body use="literal"/></output>\n    </operation>`,
  ).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions name="ERSWSExternalClientServiceService"
    targetNamespace="${GLASE_NAMESPACE}"
    xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:tns="${GLASE_NAMESPACE}"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/">
  <types>
    <xsd:schema>
      <xsd:import namespace="${GLASE_NAMESPACE}" schemaLocation="${escapeAttr(schemaUrl)}"/>
    </xsd:schema>
  </types>
${messages}
  <portType name="ERSWSExternalClientService">
${portOps}
  </portType>
  <binding name="ERSWSExternalClientServicePortBinding" type="tns:ERSWSExternalClientService">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
${bindingOps}
  </binding>
  <service name="ERSWSExternalClientServiceService">
    <port name="ERSWSExternalClientServicePort" binding="tns:ERSWSExternalClientServicePortBinding">
      <soap:address location="${escapeAttr(address)}"/>
    </port>
  </service>
</definitions>
`;
}
