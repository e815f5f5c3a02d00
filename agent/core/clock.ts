// Deprecated path: the code lives in base/clock.ts (the base layer; see ARCHITECTURE.md).
export * from "../../base/clock.ts";
