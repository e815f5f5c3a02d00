// Deprecated path: the code lives in contracts/driver-store.ts (see ARCHITECTURE.md).
export * from "../contracts/driver-store.ts";
