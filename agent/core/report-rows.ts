// The rows of a reconciliation report document (contract §5.7): every `<Row>` with its simple
// children by name. Pure text handling, enough for the machine-written documents Glase returns
// (one level of `<Row>` elements, entity-escaped text); anything else yields no rows.

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!).trim();
}

export function reportRows(document: string): Array<Readonly<Record<string, string>>> {
  const rows: Array<Record<string, string>> = [];
  for (const m of document.matchAll(/<Row>([\s\S]*?)<\/Row>/g)) {
    const row: Record<string, string> = {};
    for (const f of m[1]!.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) row[f[1]!] = unescape(f[2]!);
    rows.push(row);
  }
  return rows;
}

/** Report amounts carry 5 decimals (`-10.00000`): minor units, or undefined when unreadable or finer than cents. */
export function reportMinor(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const frac = (m[3] ?? "").padEnd(2, "0");
  if (/[1-9]/.test(frac.slice(2))) return undefined;
  const minor = Number(m[2]) * 100 + Number(frac.slice(0, 2));
  return m[1] === "-" ? -minor : minor;
}
