/**
 * bench/scaling.svg, written by hand (no dependency): two log-log panels against archive
 * size, publish wall time and DynamoDB items read, incremental against naive.
 */
export interface ChartPoint {
  readonly articles: number;
  readonly incremental: { readonly ms: number; readonly itemsRead: number };
  readonly naive: { readonly ms: number; readonly itemsRead: number };
}

const COLORS = { incremental: "#1d6fb8", naive: "#c2410c" };
const fmt = (v: number) => (v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(v < 10 ? 1 : 0)}`);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function panel(points: readonly ChartPoint[], x0: number, y0: number, w: number, h: number, title: string, unit: string, value: (p: ChartPoint, k: "incremental" | "naive") => number): string {
  const L = 52, R = 26, T = 26, B = 38;
  const pw = w - L - R, ph = h - T - B;
  const xs = points.map((p) => Math.log10(p.articles));
  const xmin = Math.min(...xs), xmax = Math.max(...xs);
  const vals = points.flatMap((p) => [value(p, "incremental"), value(p, "naive")]).filter((v) => v > 0);
  const ymin = Math.floor(Math.log10(Math.min(...vals))), ymax = Math.ceil(Math.log10(Math.max(...vals)));
  const X = (lx: number) => x0 + L + (xmax === xmin ? pw / 2 : ((lx - xmin) / (xmax - xmin)) * pw);
  const Y = (v: number) => y0 + T + ph - ((Math.log10(Math.max(v, 10 ** ymin)) - ymin) / Math.max(1, ymax - ymin)) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + L}" y="${y0 + 16}" font-size="13" font-weight="bold">${esc(title)}</text>`);
  // Grid: one line per decade on y, one per archive size on x.
  for (let e = ymin; e <= ymax; e++) {
    const y = Y(10 ** e).toFixed(1);
    out.push(`<line x1="${x0 + L}" y1="${y}" x2="${x0 + L + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 + L - 6}" y="${y}" dy="4" text-anchor="end" fill="#555">${fmt(10 ** e)}</text>`);
  }
  for (const [i, p] of points.entries()) {
    const x = X(xs[i]!).toFixed(1);
    out.push(`<line x1="${x}" y1="${y0 + T}" x2="${x}" y2="${y0 + T + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${y0 + T + ph + 15}" text-anchor="middle" fill="#555">${p.articles.toLocaleString("en")}</text>`);
  }
  out.push(`<rect x="${x0 + L}" y="${y0 + T}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${x0 + L + pw / 2}" y="${y0 + h - 6}" text-anchor="middle" fill="#333">articles in the archive (log)</text>`);
  out.push(`<text transform="translate(${x0 + 12},${y0 + T + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(unit)} (log)</text>`);
  for (const k of ["naive", "incremental"] as const) {
    const pts = points.map((p, i) => `${X(xs[i]!).toFixed(1)},${Y(value(p, k)).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${COLORS[k]}" stroke-width="2.5" points="${pts.join(" ")}"/>`);
    for (const [i, p] of points.entries()) {
      const x = X(xs[i]!), y = Y(value(p, k));
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${COLORS[k]}"/>`);
      const anchor = i === 0 ? "start" : i === points.length - 1 ? "end" : "middle";
      out.push(`<text x="${x.toFixed(1)}" y="${(y - 8).toFixed(1)}" text-anchor="${anchor}" font-size="11" fill="${COLORS[k]}">${fmt(value(p, k))}</text>`);
    }
  }
  return out.join("\n");
}

export function scalingSvg(points: readonly ChartPoint[], subtitle: string): string {
  const W = 860, H = 360, PH = 300;
  const body = [
    panel(points, 0, 40, W / 2, PH, "Publish wall time after adding one article", "ms", (p, k) => p[k].ms),
    panel(points, W / 2, 40, W / 2, PH, "DynamoDB items read by that publish", "items", (p, k) => p[k].itemsRead),
  ].join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">
<title>feedpub publish cost against archive size</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="14" y="20" font-size="14" font-weight="bold">feedpub publish cost against archive size</text>
<text x="14" y="36" font-size="11" fill="#555">${esc(subtitle)}</text>
<g font-size="12"><rect x="${W - 330}" y="8" width="12" height="4" y2="0" fill="${COLORS.incremental}"/><text x="${W - 312}" y="14" fill="${COLORS.incremental}">incremental (feed index Query, changed files only)</text>
<rect x="${W - 330}" y="24" width="12" height="4" fill="${COLORS.naive}"/><text x="${W - 312}" y="30" fill="${COLORS.naive}">naive (full Scan, rebuild every feed)</text></g>
${body}
</svg>
`;
}
