// Deprecated path: the code lives in contracts/kiosk.ts (see ARCHITECTURE.md).
export * from "../../contracts/kiosk.ts";
