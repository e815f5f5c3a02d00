// Deprecated path: the code lives in base/io/http-body.ts (the base layer; see ARCHITECTURE.md).
export * from "../../base/io/http-body.ts";
