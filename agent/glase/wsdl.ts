// Deprecated path: the code lives in contracts/glase/wsdl.ts (see ARCHITECTURE.md).
export * from "../../contracts/glase/wsdl.ts";
