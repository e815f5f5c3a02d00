// Deprecated path: the code lives in base/log.ts (the base layer; see ARCHITECTURE.md).
export * from "../base/log.ts";
