/**
 * The latency-against-concurrency chart, drawn by hand as SVG (no chart dependency): one panel
 * per case, one line per system; solid = p50, dashed = p95; both axes on a log scale (latencies
 * span from milliseconds to seconds between systems).
 */
import type { BenchReport, SystemId } from './types.js';

const COLORS: Record<SystemId, string> = {
  floor: '#6b7280',
  gateway: '#2563eb',
  'gateway-pages-uncached': '#9333ea',
  'gateway-nocache': '#16a34a',
  'gateway-nocache-b64': '#ca8a04',
  peer: '#dc2626',
};

const PANEL_W = 300;
const PANEL_H = 230;
const PAD = { left: 48, right: 12, top: 34, bottom: 34 };
const COLS = 3;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const tick = (v: number): string => (v >= 1000 ? `${v / 1000} s` : `${v} ms`);

export function renderSvg(report: BenchReport): string {
  const levels = report.settings.concurrencyLevels;
  const panels = report.cases.length + 1;
  const rows = Math.ceil(panels / COLS);
  const width = COLS * PANEL_W;
  const height = rows * PANEL_H + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">Latency against concurrency (log scales) — solid p50, dashed p95 — upstream ${report.settings.upstreamLatencyMs} ± ${report.settings.upstreamJitterMs} ms per call</text>`,
  ];
  const logMin = Math.log2(Math.min(...levels));
  const logSpan = Math.max(1, Math.log2(Math.max(...levels)) - logMin);

  report.cases.forEach((c, index) => {
    const ox = (index % COLS) * PANEL_W;
    const oy = 30 + Math.floor(index / COLS) * PANEL_H;
    const plotW = PANEL_W - PAD.left - PAD.right;
    const plotH = PANEL_H - PAD.top - PAD.bottom;
    const series = Object.entries(c.results).flatMap(([id, r]) =>
      r?.available
        ? [{ id: id as SystemId, levels: r.levels.filter((l) => Number.isFinite(l.latencyMs.p50)) }]
        : [],
    );
    const values = series
      .flatMap((s) => s.levels.flatMap((l) => [l.latencyMs.p50, l.latencyMs.p95]))
      .filter((v) => v > 0);
    const decLo = Math.floor(Math.log10(Math.min(...values, 10)));
    const decHi = Math.max(decLo + 1, Math.ceil(Math.log10(Math.max(...values, 10))));
    const x = (conc: number): number =>
      ox + PAD.left + ((Math.log2(conc) - logMin) / logSpan) * plotW;
    const y = (ms: number): number => {
      const clamped = Math.min(Math.max(ms, 10 ** decLo), 10 ** decHi);
      return oy + PAD.top + plotH - ((Math.log10(clamped) - decLo) / (decHi - decLo)) * plotH;
    };

    out.push(
      `<text x="${ox + PANEL_W / 2}" y="${oy + 18}" text-anchor="middle" font-weight="bold">${esc(c.short)}</text>`,
    );
    out.push(
      `<rect x="${ox + PAD.left}" y="${oy + PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#d1d5db"/>`,
    );
    for (let d = decLo; d <= decHi; d += 1) {
      const v = 10 ** d;
      out.push(
        `<line x1="${ox + PAD.left}" x2="${ox + PAD.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`,
      );
      out.push(
        `<text x="${ox + PAD.left - 4}" y="${y(v) + 4}" text-anchor="end" fill="#374151">${tick(v)}</text>`,
      );
    }
    for (const conc of levels) {
      out.push(
        `<text x="${x(conc)}" y="${oy + PAD.top + plotH + 14}" text-anchor="middle" fill="#374151">${conc}</text>`,
      );
    }
    out.push(
      `<text x="${ox + PAD.left + plotW / 2}" y="${oy + PANEL_H - 6}" text-anchor="middle" fill="#6b7280">concurrency</text>`,
    );
    if (series.length === 0) {
      out.push(
        `<text x="${ox + PANEL_W / 2}" y="${oy + PANEL_H / 2}" text-anchor="middle" fill="#9ca3af">not available</text>`,
      );
    }
    for (const s of series) {
      for (const [key, dash] of [
        ['p50', ''],
        ['p95', ' stroke-dasharray="4 3"'],
      ] as const) {
        const pts = s.levels
          .map((l) => `${x(l.concurrency).toFixed(1)},${y(l.latencyMs[key]).toFixed(1)}`)
          .join(' ');
        out.push(
          `<polyline points="${pts}" fill="none" stroke="${COLORS[s.id]}" stroke-width="${key === 'p50' ? 2 : 1}"${dash}/>`,
        );
      }
      for (const l of s.levels) {
        out.push(
          `<circle cx="${x(l.concurrency).toFixed(1)}" cy="${y(l.latencyMs.p50).toFixed(1)}" r="2.5" fill="${COLORS[s.id]}"><title>${esc(s.id)} c=${l.concurrency}: p50 ${fmt(l.latencyMs.p50)} ms, p95 ${fmt(l.latencyMs.p95)} ms, ${fmt(l.throughputRps)} req/s</title></circle>`,
        );
      }
    }
  });

  const lx = (report.cases.length % COLS) * PANEL_W + 30;
  const ly = 30 + Math.floor(report.cases.length / COLS) * PANEL_H + 40;
  out.push(`<text x="${lx}" y="${ly - 14}" font-weight="bold">Systems</text>`);
  report.systems.forEach((s, i) => {
    const yy = ly + i * 22;
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${yy}" y2="${yy}" stroke="${COLORS[s.id]}" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${lx + 36}" y="${yy + 4}">${esc(s.label)}${s.available ? '' : ' — not available'}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
