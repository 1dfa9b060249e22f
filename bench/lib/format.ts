/** Number formats of the tables. */
export const int = (value: number): string => Math.round(value).toLocaleString("en");
export const fixed = (value: number, digits = 2): string => value.toFixed(digits);
export const ratio = (value: number | null): string => (value === null ? "–" : `${value.toFixed(2)}×`);

/** A per-request count: exact zero stays "0", small non-zero values keep their significant digits. */
export function perRequest(value: number): string {
  if (value === 0) return "0";
  if (Math.abs(value - Math.round(value)) < 0.0005) return String(Math.round(value));
  if (value < 0.01) return value.toPrecision(2);
  return value.toFixed(3);
}

/** `{ get: 1, patch: 0.5 }` as "get 1, patch 0.500". */
export function counts(values: Record<string, number> | null): string {
  if (values === null) return "–";
  const entries = Object.entries(values).filter(([, value]) => value > 0);
  if (entries.length === 0) return "none";
  return entries.map(([name, value]) => `${name} ${perRequest(value)}`).join(", ");
}

export function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${align.map((a) => (a === "r" ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
}
