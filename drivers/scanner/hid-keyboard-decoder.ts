// Keyboard-emulation scanners: the scanner "types" the code as a USB boot keyboard. Each input
// report is 8 bytes — modifier bits, a reserved byte, up to six pressed key usages (HID usage
// page 0x07) — and a key counts once, in the report where it first appears. US layout, shift
// from either shift modifier, Enter (main or keypad) ends a read. Pure and stateful.

export type KeyboardReportResult =
  | { readonly kind: "none" }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bad-report"; readonly why: string };

const SHIFT = 0x02 | 0x20;
const CTRL_ALT_GUI = 0x01 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80;
const ENTER = 0x28;
const KEYPAD_ENTER = 0x58;
/** Usage 0x01 in every slot: too many keys down, the report carries no key state. */
const ERROR_ROLL_OVER = 0x01;

/** [unshifted, shifted] for usages 0x04…; keys outside the table are counted as unknown. */
const KEYS: ReadonlyMap<number, readonly [string, string]> = (() => {
  const map = new Map<number, readonly [string, string]>();
  for (let i = 0; i < 26; i++) {
    const c = String.fromCharCode(0x61 + i);
    map.set(0x04 + i, [c, c.toUpperCase()]);
  }
  const digits = "1234567890";
  const shiftedDigits = "!@#$%^&*()";
  for (let i = 0; i < 10; i++) map.set(0x1e + i, [digits[i]!, shiftedDigits[i]!]);
  const punctuation: [number, string, string][] = [
    [0x2b, "\t", "\t"], [0x2c, " ", " "], [0x2d, "-", "_"], [0x2e, "=", "+"], [0x2f, "[", "{"], [0x30, "]", "}"],
    [0x31, "\\", "|"], [0x33, ";", ":"], [0x34, "'", '"'], [0x35, "`", "~"], [0x36, ",", "<"], [0x37, ".", ">"],
    [0x38, "/", "?"], [0x54, "/", "/"], [0x55, "*", "*"], [0x56, "-", "-"], [0x57, "+", "+"], [0x63, ".", "."],
  ];
  for (const [usage, plain, shifted] of punctuation) map.set(usage, [plain, shifted]);
  const keypadDigits = "1234567890";
  for (let i = 0; i < 10; i++) map.set(0x59 + i, [keypadDigits[i]!, keypadDigits[i]!]);
  return map;
})();

export const BOOT_REPORT_LENGTH = 8;

export class KeyboardReportDecoder {
  private pressed = new Set<number>();
  private text = "";
  private overflow = false;

  /** @param maxLength reads longer than this are cut here (the parser then rejects them as too long). */
  constructor(private readonly maxLength: number) {}

  feed(report: Uint8Array): KeyboardReportResult {
    if (report.length !== BOOT_REPORT_LENGTH) return { kind: "bad-report", why: `length ${report.length}, expected ${BOOT_REPORT_LENGTH}` };
    const keys = [...report.subarray(2)].filter((k) => k !== 0);
    if (keys.length > 0 && keys.every((k) => k === ERROR_ROLL_OVER)) return { kind: "bad-report", why: "error roll-over" };
    const modifiers = report[0]!;
    const down = new Set(keys);
    const fresh = keys.filter((k) => !this.pressed.has(k));
    this.pressed = down;

    let unknown = 0;
    for (const key of fresh) {
      if (key === ENTER || key === KEYPAD_ENTER) {
        const text = this.overflow ? this.text + "…" : this.text;
        this.text = "";
        this.overflow = false;
        return { kind: "text", text };
      }
      // Ctrl/Alt/GUI chords are not characters a scanner types for a barcode.
      const chars = (modifiers & CTRL_ALT_GUI) === 0 ? KEYS.get(key) : undefined;
      if (chars === undefined) {
        unknown += 1;
        continue;
      }
      if (this.text.length >= this.maxLength) this.overflow = true;
      else this.text += chars[(modifiers & SHIFT) !== 0 ? 1 : 0];
    }
    return unknown > 0 ? { kind: "bad-report", why: `${unknown} key(s) without a character` } : { kind: "none" };
  }
}
