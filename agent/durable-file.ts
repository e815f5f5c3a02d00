// Deprecated path: the code lives in base/io/durable-file.ts (the base layer; see ARCHITECTURE.md).
export * from "../base/io/durable-file.ts";
