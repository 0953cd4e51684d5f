/**
 * How results reach the user: readable tables (cli-table3) by default, JSON with
 * `--json` so scripts can parse them. Tables never colour, so output pipes cleanly.
 */
import Table from 'cli-table3';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export interface Column {
  /** The field of each item. */
  field: string;
  /** The header shown; the field name when absent. */
  header?: string;
}

const PLAIN_STYLE = { head: [] as string[], border: [] as string[] };

/** One cell: null and absent as "-", lists comma-separated, objects as compact JSON. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map((item) => formatCell(item)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A table with one row per item and the given columns. */
export function formatTable(items: ReadonlyArray<Record<string, unknown>>, columns: readonly Column[]): string {
  const table = new Table({ head: columns.map((column) => column.header ?? column.field), style: PLAIN_STYLE });
  for (const item of items) table.push(columns.map((column) => formatCell(item[column.field])));
  return table.toString();
}

/** A two-column table of one record's fields, in the record's own order. */
export function formatRecord(record: Record<string, unknown>): string {
  const table = new Table({ style: PLAIN_STYLE, wordWrap: true, wrapOnWordBoundary: false, colWidths: [null, 80] as unknown as number[] });
  for (const [field, value] of Object.entries(record)) table.push({ [field]: formatCell(value) });
  return table.toString();
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
