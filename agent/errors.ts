// Deprecated path: the code lives in base/errors.ts (the base layer; see ARCHITECTURE.md).
export * from "../base/errors.ts";
