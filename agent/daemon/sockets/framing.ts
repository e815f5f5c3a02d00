// Newline-delimited JSON framing with a line size limit. A line longer than the limit is
// reported once and then skipped up to its newline, so one bad request never desynchronises
// the connection nor makes us buffer without bound.
export interface FramingHandlers {
  line(text: string): void;
  tooLong(bytes: number): void;
}

export class LineSplitter {
  private buffer = "";
  private skipping = false;
  private skipped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly handlers: FramingHandlers,
  ) {}

  push(chunk: string): void {
    let rest = chunk;
    for (;;) {
      const nl = rest.indexOf("\n");
      if (this.skipping) {
        if (nl < 0) {
          this.skipped += Buffer.byteLength(rest);
          return;
        }
        this.skipped += Buffer.byteLength(rest.slice(0, nl));
        this.handlers.tooLong(this.skipped);
        this.skipping = false;
        this.skipped = 0;
        rest = rest.slice(nl + 1);
        continue;
      }
      if (nl < 0) {
        this.buffer += rest;
        if (Buffer.byteLength(this.buffer) > this.maxBytes) {
          this.skipping = true;
          this.skipped = Buffer.byteLength(this.buffer);
          this.buffer = "";
        }
        return;
      }
      const line = this.buffer + rest.slice(0, nl);
      this.buffer = "";
      rest = rest.slice(nl + 1);
      if (Buffer.byteLength(line) > this.maxBytes) this.handlers.tooLong(Buffer.byteLength(line));
      else if (line.trim() !== "") this.handlers.line(line.replace(/\r$/, ""));
    }
  }
}
