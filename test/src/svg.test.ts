// The SVG line chart: a well-formed standalone document, one mark per series and point, escaped
// text, stable output, and the axis edge cases (log ticks, zeros on a log axis, bad numbers).

import { describe, expect, it } from 'vitest';
import { type LineChart, lineChart } from '../../src/report/svg.js';

const chart: LineChart = {
  title: 'Throughput',
  xLabel: 'batch size',
  yLabel: 'ops/s',
  xLog: true,
  series: [
    {
      name: 'flush',
      points: [
        [1, 10],
        [8, 70],
        [64, 400],
        [512, 900],
      ],
    },
    {
      name: 'batched',
      points: [
        [1, 12],
        [64, 800],
        [4096, 2000],
      ],
    },
  ],
};

/** Throws unless every opened tag is closed in order and no stray `<` or `&` is left in text. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^<>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name!);
    else if (stack.pop() !== name) throw new Error(`unbalanced </${name}> at ${m.index}`);
  }
  expect(stack).toEqual([]);
  const outside = svg.replace(/<[^<>]*>/g, '');
  expect(outside).not.toMatch(/<|>|&(?!(amp|lt|gt|quot|apos);)/);
}

const count = (svg: string, re: RegExp) => [...svg.matchAll(re)].length;
/** Text of the elements anchored in the middle that read as numbers: the x tick labels. */
const xTickLabels = (svg: string) =>
  [...svg.matchAll(/<text [^>]*text-anchor="middle"[^>]*>([^<]*)<\/text>/g)]
    .map((m) => m[1]!)
    .filter((t) => /^-?[\d.e+-]+$/.test(t));
const circleYs = (svg: string) => [...svg.matchAll(/<circle [^>]*cy="([^"]+)"/g)].map((m) => Number(m[1]));

describe('lineChart', () => {
  it('is a well-formed standalone SVG document', () => {
    const svg = lineChart(chart);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 400"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    assertWellFormed(svg);
    expect(svg).not.toMatch(/<script|href=|@import|url\(/);
    expect(svg).toContain('>Throughput</text>');
    expect(svg).toContain('>batch size</text>');
    expect(svg).toContain('>ops/s</text>');
  });

  it('draws one polyline per series and one circle, with a tooltip, per point', () => {
    const svg = lineChart(chart);
    expect(count(svg, /<polyline /g)).toBe(2);
    expect(count(svg, /<circle [^>]*><title>[^<]*<\/title><\/circle>/g)).toBe(7);
    expect(svg).toContain('<title>flush: x=64, y=400</title>');
    expect(svg).toContain('<title>batched: x=4096, y=2000</title>');
  });

  it('names every series in the legend, in a colour of its own that cycles after eight', () => {
    const series = Array.from({ length: 9 }, (_, i) => ({ name: `s${i}`, points: [[i + 1, i] as const] }));
    const svg = lineChart({ ...chart, series });
    const legend = [...svg.matchAll(/<text [^>]*text-anchor="start"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(legend).toEqual(series.map((s) => s.name));
    const colours = [...svg.matchAll(/<polyline [^>]*stroke="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(colours.slice(0, 8)).size).toBe(8);
    expect(colours[8]).toBe(colours[0]);
  });

  it('escapes every piece of text', () => {
    const name = `a<b & "c"`;
    const svg = lineChart({
      title: "it's <b>\u0007",
      xLabel: 'x & y',
      yLabel: '"q"',
      series: [{ name, points: [[1, 2]] }],
    });
    assertWellFormed(svg);
    expect(svg).not.toContain(name);
    // Not even escaped would a bell character be allowed in XML 1.0, so it is dropped.
    expect(svg.includes('\u0007')).toBe(false);
    expect(svg).toContain('>a&lt;b &amp; &quot;c&quot;</text>');
    expect(svg).toContain('<title>a&lt;b &amp; &quot;c&quot;: x=1, y=2</title>');
    expect(svg).toContain('>it&apos;s &lt;b&gt;</text>');
    expect(svg).toContain('>x &amp; y</text>');
    expect(svg).toContain('>&quot;q&quot;</text>');
  });

  it('gives byte-identical output for the same input, with numbers to one decimal', () => {
    const copy: LineChart = structuredClone(chart);
    const svg = lineChart(chart);
    expect(lineChart(copy)).toBe(svg);
    expect(lineChart({ ...chart, xLog: false, yLog: true })).toBe(
      lineChart({ ...copy, xLog: false, yLog: true }),
    );
    const coords = [...svg.matchAll(/ (?:x|y|x1|y1|x2|y2|cx|cy)="([^"]*)"/g)].map((m) => m[1]);
    expect(coords.length).toBeGreaterThan(20);
    for (const c of coords) expect(c).toMatch(/^-?\d+(\.\d)?$/);
  });

  it('puts a log x tick at each distinct x value, under the points', () => {
    const svg = lineChart(chart);
    expect(xTickLabels(svg)).toEqual(['1', '8', '64', '512', '4096']);
    // Equal ratios are equal distances: 1 -> 8 -> 64 -> 512 are evenly spaced.
    const cx = [...svg.matchAll(/<circle cx="([^"]+)"/g)].slice(0, 4).map((m) => Number(m[1]));
    const gaps = cx.slice(1).map((x, i) => x - cx[i]!);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!, 0);
  });

  it('picks a handful of round ticks on a linear axis', () => {
    const svg = lineChart({
      ...chart,
      xLog: false,
      series: [
        {
          name: 's',
          points: [
            [3, 1],
            [97, 2],
          ],
        },
      ],
    });
    expect(xTickLabels(svg)).toEqual(['0', '20', '40', '60', '80', '100']);
  });

  it('draws zeros on a log y axis at the floor, with no NaN anywhere', () => {
    const svg = lineChart({
      ...chart,
      yLog: true,
      series: [
        {
          name: 'z',
          points: [
            [1, 0],
            [8, 50],
            [64, 0],
            [512, 3000],
          ],
        },
      ],
    });
    expect(svg).not.toMatch(/NaN|Infinity/);
    assertWellFormed(svg);
    const [zero1, fifty, zero2, top] = circleYs(svg);
    expect(zero1).toBe(zero2);
    expect(zero1).toBeGreaterThan(fifty!);
    expect(fifty).toBeGreaterThan(top!);
    // Decade ticks from the one below the smallest positive value, 50, to the one above 3000.
    const yTicks = [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    expect(yTicks).toEqual(['10', '100', '1000', '10000']);
  });

  it('copes with all-zero y values on either kind of axis', () => {
    const zeros = {
      name: 'z',
      points: [
        [1, 0],
        [8, 0],
      ] as const,
    };
    for (const yLog of [true, false]) {
      const svg = lineChart({ ...chart, yLog, series: [zeros] });
      expect(svg).not.toMatch(/NaN|Infinity/);
      const ys = circleYs(svg);
      expect(ys[0]).toBe(ys[1]);
      // The points sit on the bottom edge of the plot, where the x axis is drawn.
      expect(svg).toMatch(new RegExp(`<path d="M\\d+ \\d+V${ys[0]}H`));
    }
    const linear = lineChart({ ...chart, series: [zeros] });
    expect(linear).toContain('text-anchor="end">0</text>');
    expect(linear).toContain('text-anchor="end">1</text>');
  });

  it('draws a one-point series as a dot', () => {
    for (const xLog of [true, false]) {
      const svg = lineChart({ ...chart, xLog, series: [{ name: 'one', points: [[8, 5]] }] });
      expect(svg).not.toMatch(/NaN|Infinity/);
      expect(count(svg, /<circle /g)).toBe(1);
      expect(count(svg, /<polyline /g)).toBe(1);
      assertWellFormed(svg);
    }
  });

  it('still gives a titled document when there is nothing to plot', () => {
    for (const series of [[], [{ name: 'empty', points: [] }]]) {
      const svg = lineChart({ ...chart, series });
      assertWellFormed(svg);
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).toContain('>Throughput</text>');
      expect(svg).toContain('>no data</text>');
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  it('rejects non-finite numbers, naming the series', () => {
    for (const bad of [
      [Number.NaN, 1],
      [1, Number.NaN],
      [Number.POSITIVE_INFINITY, 1],
      [1, Number.NEGATIVE_INFINITY],
    ] as const) {
      const series = [chart.series[0]!, { name: 'broken', points: [[2, 3], bad] as const }];
      expect(() => lineChart({ ...chart, xLog: false, series })).toThrow(/"broken"/);
    }
  });

  it('rejects x <= 0 on a log x axis, naming the series', () => {
    expect(() => lineChart({ ...chart, series: [{ name: 'zero', points: [[0, 1]] }] })).toThrow(/"zero"/);
  });
});
