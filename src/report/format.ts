/** Cell formatting shared by the report tables. */

/** What a table shows where there is no value (no published number, no interval). */
export const NA = 'n/a';

/**
 * A number for CSV: rounded to `decimals` places (so 0.6 - 0.574 prints as 0.026, not
 * 0.026000000000000023), 'NaN' for an undefined statistic, 'n/a' for null.
 */
export function csvNumber(v: number | null, decimals = 6): string {
  if (v === null) return NA;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const r = Number(v.toFixed(decimals));
  return String(Object.is(r, -0) ? 0 : r);
}

/** A number for Markdown: fixed decimals, with an explicit sign when `signed`. */
export function mdNumber(v: number | null, decimals: number, signed = false): string {
  if (v === null) return NA;
  if (!Number.isFinite(v)) return String(v);
  let s = v.toFixed(decimals);
  if (/^-0\.?0*$/.test(s)) s = s.slice(1); // no "-0.000"
  return signed && !s.startsWith('-') ? `+${s}` : s;
}

/** A Markdown pipe table; '|' inside cells (NB201 arch strings) is escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: readonly string[]) => `| ${cells.map(esc).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n') + '\n';
}
