// chart.js: a daily bar chart as inline SVG, with no library. Each day is
// a stack of series (e.g. bytes in under bytes out); every bar has a
// <title>, so hovering names the day and its figures, and the SVG has a
// text summary for screen readers.
import { svg } from "./svg.js";

const W = 640, H = 150, L = 56, R = 6, T = 8, B = 20; // viewBox and margins

// barChart(days, series, fmt): days are [{date, ...}], series are
// [{key: (day) → number, name, cls}] stacked bottom-up; fmt formats an axis
// value. Returns an <svg> element.
export function barChart(days, series, fmt, label) {
  const totals = days.map((d) => series.reduce((s, se) => s + (se.key(d) || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotW = W - L - R, plotH = H - T - B;
  const slot = plotW / Math.max(1, days.length);
  const bw = Math.max(1, slot * 0.72);
  const y = (v) => T + plotH - (max ? (v / max) * plotH : 0);
  const grid = [0, 0.5, 1].map((f) => {
    const v = max * f, yy = y(v);
    return [
      svg("line.grid", { x1: L, x2: W - R, y1: yy, y2: yy }),
      svg("text.axis", { x: L - 6, y: yy + 3.5, "text-anchor": "end" }, fmt(v)),
    ];
  });
  const bars = days.map((d, i) => {
    let base = 0;
    const x = L + i * slot + (slot - bw) / 2;
    const tip = d.date + ": " + series.map((se) => se.name + " " + fmt(se.key(d) || 0)).join(", ");
    return svg("g.day", { "data-date": d.date },
      svg("title", tip),
      // A full-height transparent target so a thin bar is easy to hover.
      svg("rect.hit", { x: L + i * slot, y: T, width: slot, height: plotH }),
      series.map((se) => {
        const v = se.key(d) || 0;
        const r = svg("rect." + se.cls, { x: x.toFixed(2), y: y(base + v).toFixed(2), width: bw.toFixed(2), height: Math.max(0, y(base) - y(base + v)).toFixed(2) });
        base += v;
        return r;
      }));
  });
  const ticks = days.length ? [0, Math.floor((days.length - 1) / 2), days.length - 1] : [];
  const labels = [...new Set(ticks)].map((i) =>
    svg("text.axis", { x: L + i * slot + slot / 2, y: H - 5, "text-anchor": i === 0 ? "start" : i === days.length - 1 ? "end" : "middle" }, days[i].date.slice(5)));
  const total = series.map((se) => se.name + " " + fmt(days.reduce((s, d) => s + (se.key(d) || 0), 0))).join(", ");
  const none = max ? null : svg("text.none", { x: L + plotW / 2, y: T + plotH / 2, "text-anchor": "middle" }, "No traffic in these days");
  return svg("svg.chart", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${label}, ${days.length} days: ${total}` },
    grid, bars, labels, none);
}

// niceMax rounds a maximum up to 1, 2, 4, 6 or 8 × 10^n, so the axis
// labels (the maximum and its half) read well and counts halve evenly.
export function niceMax(v) {
  if (v <= 0) return 0;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 4, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
