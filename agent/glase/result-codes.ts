// Deprecated path: the code lives in contracts/glase/result-codes.ts (see ARCHITECTURE.md).
export * from "../../contracts/glase/result-codes.ts";
