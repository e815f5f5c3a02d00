// Deprecated path: the code lives in contracts/scanner.ts (see ARCHITECTURE.md).
export * from "../../contracts/scanner.ts";
