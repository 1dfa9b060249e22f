/**
 * The read-path chart: one horizontal bar per variant, its requests/s as a ratio to bare
 * node:http measured in the same rounds, grouped by framework and coloured by kind. Plain
 * SVG text, no dependency.
 */
import type { Framework } from "../servers/common.js";
import { FRAMEWORK_NAMES, type Kind } from "./labels.js";
import type { RequestRow } from "./requests.js";

const COLORS: Record<Kind, string> = {
  baseline: "#4b5563",
  framework: "#9ca3af",
  stint: "#2563eb",
  incumbent: "#ea580c",
  floor: "#16a34a",
};

const LEGEND: Array<[Kind, string]> = [
  ["stint", "Stint"],
  ["incumbent", "incumbent session library"],
  ["framework", "framework without sessions"],
  ["floor", "hand-written floor"],
];

const xml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

export function readRatioChart(rows: readonly RequestRow[], subtitle: string): string {
  const width = 1040;
  const labelWidth = 390;
  // Room after the longest bar for its value and the ratio to its framework alone.
  const barArea = width - labelWidth - 230;
  const rowHeight = 22;
  const top = 92;
  const max = Math.max(1, ...rows.map((row) => row.ratioToBare));
  const scale = (value: number) => (value / max) * barArea;
  const parts: string[] = [];
  let y = top;
  const frameworks: Framework[] = ["node", "express", "fastify", "hono"];
  for (const framework of frameworks) {
    const group = rows.filter((row) => row.framework === framework && row.kind !== "baseline");
    if (group.length === 0) continue;
    parts.push(
      `<text x="16" y="${y + 14}" font-weight="600" font-size="14" fill="#111827">${xml(FRAMEWORK_NAMES[framework])}</text>`,
    );
    y += rowHeight;
    for (const row of group) {
      const barWidth = Math.max(1, scale(row.ratioToBare));
      parts.push(
        `<text x="${labelWidth - 10}" y="${y + 15}" text-anchor="end" font-size="12.5" fill="#1f2937">${xml(row.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="${rowHeight - 6}" rx="2" fill="${COLORS[row.kind]}"/>`,
        `<text x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${y + 15}" font-size="12" fill="#111827">${row.ratioToBare.toFixed(2)}×${
          framework !== "node" && row.ratioToFramework !== null
            ? `<tspan fill="#6b7280"> (${row.ratioToFramework.toFixed(2)}× of ${xml(FRAMEWORK_NAMES[framework])} alone)</tspan>`
            : ""
        }</text>`,
      );
      y += rowHeight;
    }
    y += 8;
  }
  const bottom = y;
  const one = labelWidth + scale(1);
  const grid: string[] = [];
  for (let tick = 0; tick <= max + 1e-9; tick += 0.25) {
    const x = labelWidth + scale(tick);
    grid.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="#e5e7eb"/>`,
      `<text x="${x.toFixed(1)}" y="${bottom + 16}" text-anchor="middle" font-size="11" fill="#6b7280">${tick.toFixed(2)}×</text>`,
    );
  }
  const shown = LEGEND.filter(([kind]) => rows.some((row) => row.kind === kind));
  const legend = shown
    .map(([kind, text], index) => {
      const x = 16 + index * 215;
      return `<rect x="${x}" y="52" width="14" height="14" rx="2" fill="${COLORS[kind]}"/><text x="${x + 20}" y="64" font-size="12.5" fill="#1f2937">${xml(text)}</text>`;
    })
    .join("");
  const height = bottom + 34;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="17" font-weight="700" fill="#111827">Read requests per second, as a ratio to bare node:http (higher is better)</text>`,
    `<text x="16" y="42" font-size="12" fill="#4b5563">${xml(subtitle)}</text>`,
    legend,
    ...grid,
    `<line x1="${one.toFixed(1)}" y1="${top - 4}" x2="${one.toFixed(1)}" y2="${bottom}" stroke="#4b5563" stroke-dasharray="4 3"/>`,
    `<text x="${one.toFixed(1)}" y="${top - 8}" text-anchor="middle" font-size="11" fill="#4b5563">bare node:http = 1×</text>`,
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}
