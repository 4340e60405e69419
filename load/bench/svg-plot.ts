// Inline SVG charts for the HTML report (no scripts, no external files): lines over a numeric or
// categorical x axis, linear or log y, and horizontal bars.

export interface LineSeries {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Categorical x: the label of x = 0, 1, 2, … */
  xCategories?: string[];
  /** Vertical separators with a caption (phase boundaries). */
  markers?: { x: number; label: string }[];
  logY?: boolean;
}

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
];

const W = 820;
const H = 300;
const PAD = { left: 64, right: 16, top: 28, bottom: 64 };

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (v: number): string =>
  Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 100) / 100);

function niceTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const step = 10 ** Math.floor(Math.log10(max / count));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= count) ?? step * 10;
  return Array.from({ length: Math.floor(max / unit) + 1 }, (_, i) => i * unit);
}

export function lineChart(c: LineChart): string {
  const all = c.series.flatMap((s) => s.points);
  if (all.length === 0) return `<p>${escapeHtml(c.title)}: no data</p>`;
  const xs = all.map(([x]) => x);
  const xMin = c.xCategories ? 0 : Math.min(...xs);
  const xMax = c.xCategories ? Math.max(1, c.xCategories.length - 1) : Math.max(...xs, xMin + 1);
  const ysPositive = all.map(([, y]) => y).filter((y) => (c.logY ? y > 0 : true));
  const yMaxRaw = Math.max(...ysPositive, c.logY ? 1 : 0);
  const yMinLog = c.logY
    ? 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...ysPositive))))
    : 0;
  const yMaxLog = c.logY ? 10 ** Math.ceil(Math.log10(Math.max(yMaxRaw, yMinLog * 10))) : 0;
  const yTicks = c.logY
    ? Array.from(
        { length: Math.round(Math.log10(yMaxLog / yMinLog)) + 1 },
        (_, i) => yMinLog * 10 ** i,
      )
    : niceTicks(yMaxRaw * 1.05);
  const yTop = c.logY ? yMaxLog : Math.max(yTicks[yTicks.length - 1]!, yMaxRaw * 1.05, 1);
  const px = (x: number): number =>
    PAD.left + ((x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const py = (y: number): number => {
    const frac = c.logY
      ? (Math.log10(Math.max(y, yMinLog)) - Math.log10(yMinLog)) /
        (Math.log10(yTop) - Math.log10(yMinLog))
      : y / yTop;
    return H - PAD.bottom - frac * (H - PAD.top - PAD.bottom);
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(c.title)}</text>`,
  ];
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`,
    );
  }
  const xTickValues = c.xCategories
    ? c.xCategories.map((_, i) => i)
    : niceTicks(xMax - xMin, 8).map((t) => t + xMin);
  xTickValues.forEach((t, i) => {
    const label = c.xCategories ? c.xCategories[i]! : fmt(t);
    parts.push(
      `<text x="${px(t).toFixed(1)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${escapeHtml(label)}</text>`,
    );
  });
  for (const m of c.markers ?? []) {
    const x = px(m.x).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="2,3"/>`,
      `<text x="${x}" y="${PAD.top + 8}" dx="3" fill="#666">${escapeHtml(m.label)}</text>`,
    );
  }
  parts.push(
    `<text x="${W / 2}" y="${H - PAD.bottom + 30}" text-anchor="middle">${escapeHtml(c.xLabel)}</text>`,
    `<text transform="translate(14 ${(H - PAD.bottom + PAD.top) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(c.yLabel)}</text>`,
  );
  c.series.forEach((s, i) => {
    const d = s.points
      .filter(([, y]) => !c.logY || y > 0)
      .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,3"' : ''} points="${d}"/>`,
    );
    if (c.xCategories)
      for (const [x, y] of s.points)
        if (!c.logY || y > 0)
          parts.push(
            `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`,
          );
    // Legend: three entries a row under the x label.
    const lx = PAD.left + (i % 3) * 250;
    const ly = H - 16 + Math.floor(i / 3) * 13;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`,
      `<text x="${lx + 22}" y="${ly}">${escapeHtml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface Bar {
  label: string;
  value: number;
  color: string;
}

export function barChart(title: string, unit: string, bars: Bar[]): string {
  const rowH = 22;
  const height = 36 + bars.length * rowH;
  const left = 260;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = 28 + i * rowH;
    const w = (b.value / max) * (W - left - 90);
    parts.push(
      `<text x="${left - 6}" y="${y + 11}" text-anchor="end">${escapeHtml(b.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color}"/>`,
      `<text x="${(left + w + 4).toFixed(1)}" y="${y + 11}">${escapeHtml(`${fmt(b.value)} ${unit}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
