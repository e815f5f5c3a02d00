// Deprecated path: the code lives in contracts/printer.ts (see ARCHITECTURE.md).
export * from "../../contracts/printer.ts";
