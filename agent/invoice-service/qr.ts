// Deprecated path: the code lives in contracts/invoice-service/qr.ts (see ARCHITECTURE.md).
export * from "../../contracts/invoice-service/qr.ts";
