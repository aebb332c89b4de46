/** Output helpers of the admin commands: JSON with bigints as strings, and aligned tables. */

/** JSON with bigints as decimal strings, indented. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)
}

/** Rows as columns padded to their widest cell, a header first (as Kafka's own tools print). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd()
  return [line(header), ...rows.map(line)]
}

/** A comma-separated option as a list (empty entries dropped). */
export function listOption(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}
