// Deprecated path: the code lives in contracts/invoice-service/jwt.ts (see ARCHITECTURE.md).
export * from "../../contracts/invoice-service/jwt.ts";
