// Deprecated path: the code lives in contracts/dispenser.ts (see ARCHITECTURE.md).
export * from "../../contracts/dispenser.ts";
