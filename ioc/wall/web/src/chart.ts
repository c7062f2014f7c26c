// Line charts drawn as SVG: a history of readings, a KPI series. Gaps (null values) break the line.

const NS = "http://www.w3.org/2000/svg";

export interface Series {
  label: string;
  colour: string;
  points: Array<{ t: string; v: number | null }>;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

export function lineChart(series: Series[], width = 360, height = 140): SVGSVGElement {
  const pad = { left: 36, right: 8, top: 8, bottom: 18 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img" });
  const all = series.flatMap((s) => s.points.filter((p) => p.v !== null).map((p) => ({ t: Date.parse(p.t), v: p.v as number })));
  if (all.length === 0) return root;
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t), t0 + 1);
  const v0 = Math.min(0, ...all.map((p) => p.v));
  const v1 = Math.max(...all.map((p) => p.v), v0 + 1);
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - ((v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  for (const value of [v0, (v0 + v1) / 2, v1]) {
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }));
    const label = svg("text", { x: pad.left - 4, y: y(value) + 4, "text-anchor": "end", class: "axis" });
    label.textContent = Number.isInteger(value) ? String(value) : value.toFixed(1);
    root.append(label);
  }
  for (const s of series) {
    let path = "";
    let pen = false;
    for (const point of s.points) {
      if (point.v === null) {
        pen = false;
        continue;
      }
      path += `${pen ? "L" : "M"}${x(Date.parse(point.t)).toFixed(1)},${y(point.v).toFixed(1)}`;
      pen = true;
    }
    root.append(svg("path", { d: path, fill: "none", stroke: s.colour, "stroke-width": 2 }));
  }
  return root;
}
