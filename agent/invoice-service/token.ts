// Deprecated path: the code lives in contracts/invoice-service/token.ts (see ARCHITECTURE.md).
export * from "../../contracts/invoice-service/token.ts";
