// Deprecated path: the code lives in contracts/invoice-service/details.ts (see ARCHITECTURE.md).
export * from "../../contracts/invoice-service/details.ts";
