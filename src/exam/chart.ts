// The exam's charts as SVG built in the page: bars per domain for one attempt, lines per domain
// over attempts. Each is an image with a text alternative (role="img" + <title> + a summary), and
// takes its colours from the theme (currentColor, Starlight's accent), so it reads in dark mode.

const SVG = 'http://www.w3.org/2000/svg';

function el(name: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function chart(width: number, height: number, label: string): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'exam-chart' }) as SVGSVGElement;
  svg.append(el('title', {}, label));
  return svg;
}

export type Bar = { label: string; percent: number; detail: string };

/** One bar per domain, with the pass mark as a line across. */
export function barChart(bars: Bar[], passPercent: number): SVGSVGElement {
  const row = 34;
  const left = 230;
  const width = 640;
  const plot = width - left - 70;
  const height = bars.length * row + 30;
  const svg = chart(width, height, `Score by domain: ${bars.map((bar) => `${bar.label} ${bar.percent}% (${bar.detail})`).join('; ')}. Pass mark ${passPercent}%.`);
  bars.forEach((bar, index) => {
    const y = index * row + 8;
    svg.append(el('text', { x: left - 10, y: y + 17, 'text-anchor': 'end', fill: 'currentColor', 'font-size': 14 }, bar.label));
    svg.append(el('rect', { x: left, y, width: plot, height: 22, fill: 'currentColor', 'fill-opacity': 0.08, rx: 3 }));
    svg.append(el('rect', { x: left, y, width: Math.max(1, (plot * bar.percent) / 100), height: 22, fill: 'var(--sl-color-accent, #4b6bfb)', rx: 3 }));
    svg.append(el('text', { x: left + plot + 8, y: y + 17, fill: 'currentColor', 'font-size': 14 }, `${bar.percent}%`));
  });
  const x = left + (plot * passPercent) / 100;
  svg.append(el('line', { x1: x, x2: x, y1: 2, y2: height - 24, stroke: 'currentColor', 'stroke-dasharray': '4 3' }));
  svg.append(el('text', { x, y: height - 8, 'text-anchor': 'middle', fill: 'currentColor', 'font-size': 12 }, `pass ${passPercent}%`));
  return svg;
}

export type Series = { label: string; points: number[] };

/** Percent per attempt, one line per series (the total and each domain), attempts left to right. */
export function lineChart(series: Series[], attempts: string[]): SVGSVGElement {
  const width = 640;
  const height = 260;
  const pad = { left: 40, right: 170, top: 10, bottom: 30 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const xOf = (i: number) => pad.left + (attempts.length === 1 ? plotW / 2 : (plotW * i) / (attempts.length - 1));
  const yOf = (percent: number) => pad.top + plotH - (plotH * percent) / 100;
  const svg = chart(width, height, `Score per attempt: ${series.map((line) => `${line.label}: ${line.points.map((p) => `${p}%`).join(', ')}`).join('; ')}.`);
  for (const tick of [0, 25, 50, 75, 100]) {
    svg.append(el('line', { x1: pad.left, x2: pad.left + plotW, y1: yOf(tick), y2: yOf(tick), stroke: 'currentColor', 'stroke-opacity': 0.15 }));
    svg.append(el('text', { x: pad.left - 6, y: yOf(tick) + 4, 'text-anchor': 'end', fill: 'currentColor', 'font-size': 11 }, String(tick)));
  }
  attempts.forEach((name, i) => svg.append(el('text', { x: xOf(i), y: height - 10, 'text-anchor': 'middle', fill: 'currentColor', 'font-size': 11 }, name)));
  // Dashes tell the lines apart without relying on colour alone.
  const dashes = ['', '6 3', '2 3', '8 3 2 3', '1 2'];
  series.forEach((line, index) => {
    const style = { stroke: index === 0 ? 'var(--sl-color-accent, #4b6bfb)' : 'currentColor', 'stroke-width': index === 0 ? 3 : 1.5, 'stroke-dasharray': dashes[index % dashes.length] ?? '', fill: 'none' };
    svg.append(el('polyline', { ...style, points: line.points.map((p, i) => `${xOf(i)},${yOf(p)}`).join(' ') }));
    for (const [i, p] of line.points.entries()) svg.append(el('circle', { cx: xOf(i), cy: yOf(p), r: 3, fill: style.stroke }));
    const y = pad.top + 14 + index * 20;
    svg.append(el('line', { ...style, x1: width - pad.right + 12, x2: width - pad.right + 40, y1: y - 4, y2: y - 4 }));
    svg.append(el('text', { x: width - pad.right + 46, y, fill: 'currentColor', 'font-size': 12 }, line.label));
  });
  return svg;
}
