// Deprecated path: the code lives in base/money.ts (the base layer; see ARCHITECTURE.md).
export * from "../../base/money.ts";
