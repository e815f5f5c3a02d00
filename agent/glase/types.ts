// Deprecated path: the code lives in contracts/glase/types.ts (see ARCHITECTURE.md).
export * from "../../contracts/glase/types.ts";
