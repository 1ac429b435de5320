import type { CliIo } from './io.js';

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
}

/** Prints rows as an aligned text table (or a note when there are none). */
export function printTable<T>(io: CliIo, rows: readonly T[], columns: readonly Column<T>[], empty = '(none)'): void {
  if (rows.length === 0) {
    io.stdout(`${empty}\n`);
    return;
  }
  const cells = rows.map((row) => columns.map((c) => format(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  io.stdout(`${line(columns.map((c) => c.header.toUpperCase()))}\n`);
  for (const row of cells) io.stdout(`${line(row)}\n`);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function printFields(io: CliIo, fields: Record<string, string | number | boolean | null | undefined>): void {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  for (const [k, v] of Object.entries(fields)) io.stdout(`${`${k}:`.padEnd(width + 2)}${format(v)}\n`);
}

function format(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return String(value);
}

export const shortHash = (hash: string | null | undefined): string => (hash ? hash.slice(0, 12) : '-');
export const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
