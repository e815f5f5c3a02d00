// Types for the part of the `escpos` 3.0.0-alpha core we use (the package ships none).
// The core Printer only buffers commands; bytes leave through an adapter on flush(), and we give
// it a collecting adapter (escpos-encoder.ts) because our transports are our own.
declare module "escpos" {
  export interface EscposAdapter {
    write(data: Buffer, callback?: (error?: Error | null) => void): void;
    close(callback?: (error?: Error | null) => void): void;
    read(callback: (data: Buffer) => void): void;
  }

  export interface EscposPrinterOptions {
    encoding?: string;
    width?: number;
  }

  export class Printer {
    constructor(adapter: EscposAdapter, options?: EscposPrinterOptions);
    hardware(kind: "init" | "select" | "reset"): this;
    setCharacterCodeTable(table: number): this;
    encode(encoding: string): this;
    align(align: "lt" | "ct" | "rt"): this;
    size(width: number, height: number): this;
    print(content: string | Buffer): this;
    text(content: string, encoding?: string): this;
    feed(lines?: number): this;
    raw(data: Buffer | string): this;
    cut(partial?: boolean, feed?: number): this;
    flush(callback?: (error?: Error | null) => void): this;
  }

  interface CommandTable {
    readonly TEXT_FORMAT: { readonly TXT_BOLD_ON: string; readonly TXT_BOLD_OFF: string };
  }

  const escpos: { Printer: typeof Printer; command: CommandTable };
  export default escpos;
}
