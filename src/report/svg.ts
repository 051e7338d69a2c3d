// Line charts as self-contained SVG strings, for benchmark reports. No dependencies, no fonts,
// scripts or links to fetch, and the same input always gives byte-identical output, so generated
// files diff cleanly and can be pinned in tests.

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Log scale on x; the x values are batch sizes such as 1, 8, 64, 512, and each gets a tick. */
  readonly xLog?: boolean;
  /** Log scale on y, with a tick at each power of ten; values <= 0 are drawn at the axis floor. */
  readonly yLog?: boolean;
  readonly series: readonly Series[];
}

// The plot area is fixed; the right margin holds the legend and widens for long names, and
// the chart grows taller when the legend needs it. The left margin holds the y labels.
const M = { top: 40, bottom: 50, left: 80 };
const PW = 410;
const PH = 310;
// The first eight Tableau 10 colours: told apart easily, and all readable on white.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
function esc(s: string): string {
  // Control characters other than tab and newlines are not allowed in XML at all, even escaped.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is being removed
  const bare = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
  return bare.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
// Coordinates to one decimal: enough for the eye, and keeps the output short and stable.
const f = (v: number) => String(Math.round(v * 10) / 10);
// Drops floating-point noise such as 0.30000000000000004 from tick values.
const clean = (v: number) => Number(v.toPrecision(12));
const min = (vs: readonly number[]) => vs.reduce((a, b) => Math.min(a, b));
const max = (vs: readonly number[]) => vs.reduce((a, b) => Math.max(a, b));

function text(x: number, y: number, s: string, anchor: string, extra = ''): string {
  return `<text x="${f(x)}" y="${f(y)}" text-anchor="${anchor}"${extra}>${esc(s)}</text>`;
}

/** Where a value falls along an axis (0 at the start, 1 at the end), and where its ticks go. */
interface Axis {
  readonly pos: (v: number) => number;
  readonly ticks: readonly number[];
}

// About five ticks at multiples of 1, 2 or 5 times a power of ten, with the range widened to the
// outermost ticks so that the data never sits beyond the last label.
function linearAxis(values: readonly number[]): Axis {
  let lo = min(values);
  let hi = max(values);
  if (lo === hi) [lo, hi] = lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 2, hi + Math.abs(hi) / 2];
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.floor(lo / step);
  const last = Math.ceil(hi / step);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(clean(k * step));
  const [a, b] = [first * step, last * step];
  return { pos: (v) => (v - a) / (b - a), ticks };
}

// Batch sizes are few and chosen by hand, so each one gets its own tick and label.
function logXAxis(values: readonly number[]): Axis {
  const ticks = [...new Set(values)].sort((a, b) => a - b);
  let lo = Math.log10(ticks[0]!);
  let hi = Math.log10(ticks.at(-1)!);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  return { pos: (v) => (Math.log10(v) - lo) / (hi - lo), ticks };
}

// Whole decades, so every tick is a power of ten. Zero and negative values have no logarithm;
// they go at the floor rather than vanishing, and with no positive values at all the axis is 1..10.
function logYAxis(values: readonly number[]): Axis {
  const positive = values.filter((v) => v > 0);
  const lo = positive.length > 0 ? Math.floor(Math.log10(min(positive))) : 0;
  let hi = positive.length > 0 ? Math.ceil(Math.log10(max(positive))) : 1;
  if (hi === lo) hi += 1;
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) ticks.push(clean(10 ** k));
  return { pos: (v) => (v > 0 ? (Math.log10(v) - lo) / (hi - lo) : 0), ticks };
}

/** Renders the chart as a standalone SVG document (640x400, larger for a long legend). Throws on non-finite numbers. */
export function lineChart(chart: LineChart): string {
  const longest = Math.max(0, ...chart.series.map((s) => s.name.length));
  const right = Math.max(150, 45 + Math.ceil(longest * 6.2));
  const W = M.left + PW + right;
  const H = Math.max(M.top + PH + M.bottom, M.top + 30 + chart.series.length * 18);
  for (const s of chart.series) {
    for (const [i, [x, y]] of s.points.entries()) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new Error(`lineChart: series "${s.name}" has a non-finite point ${i}: (${x}, ${y})`);
      }
      if (chart.xLog && x <= 0) throw new Error(`lineChart: series "${s.name}" has x=${x} on a log x axis`);
    }
  }
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    text(W / 2, 24, chart.title, 'middle', ' font-size="16" font-weight="bold"'),
  ];
  const points = chart.series.flatMap((s) => s.points);
  if (points.length === 0) {
    out.push(text(W / 2, H / 2, 'no data', 'middle', ' fill="#666"'), '</svg>');
    return out.join('\n');
  }

  const xAxis = (chart.xLog ? logXAxis : linearAxis)(points.map((p) => p[0]));
  const yAxis = (chart.yLog ? logYAxis : linearAxis)(points.map((p) => p[1]));
  const px = (x: number) => M.left + xAxis.pos(x) * PW;
  const py = (y: number) => M.top + (1 - yAxis.pos(y)) * PH;
  const bottom = M.top + PH;

  for (const t of yAxis.ticks) {
    const y = f(py(t));
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + PW}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(text(M.left - 6, py(t) + 4, String(t), 'end'));
  }
  for (const t of xAxis.ticks) {
    const x = f(px(t));
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#333"/>`);
    out.push(text(px(t), bottom + 18, String(t), 'middle'));
  }
  out.push(`<path d="M${M.left} ${M.top}V${bottom}H${M.left + PW}" fill="none" stroke="#333"/>`);
  out.push(text(M.left + PW / 2, H - 10, chart.xLabel, 'middle', ' font-size="12"'));
  out.push(
    `<text transform="translate(18 ${f(M.top + PH / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${esc(chart.yLabel)}</text>`,
  );

  chart.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    // The line joins points left to right whatever order they came in; a zigzag would mislead.
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    const coords = sorted.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ');
    // Past the palette, dashes tell a line from the one that shares its colour.
    const dash = i >= PALETTE.length ? ' stroke-dasharray="6 3"' : '';
    out.push(`<polyline points="${coords}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.points) {
      const tip = esc(`${s.name}: x=${x}, y=${y}`);
      out.push(
        `<circle cx="${f(px(x))}" cy="${f(py(y))}" r="3" fill="${colour}"><title>${tip}</title></circle>`,
      );
    }
    const ly = M.top + 10 + i * 18;
    const lx = W - right + 15;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    out.push(text(lx + 26, ly + 4, s.name, 'start'));
  });
  out.push('</svg>');
  return out.join('\n');
}
