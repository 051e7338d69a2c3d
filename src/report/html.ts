// Counterexamples as one self-contained HTML page: the race report's facts on top, a swim-lane
// diagram below (one lane per CPU, time flowing down, IPIs as arrows), and a panel with what the
// chosen step changed and the whole state after it. Inline CSS, SVG and script; nothing fetched.

import { pagesPerMm } from '../../model/hardware.js';
import type { State } from '../../model/state.js';
import {
  cpuSet,
  describeAction,
  describeChanges,
  frameText,
  pteText,
  stepColumn,
  tlbText,
  ubcText,
} from '../codec/format.js';
import { describeConfig, type RaceReportInput, replayCommand, stepText } from './report.js';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

interface Section {
  readonly title: string;
  readonly lines: readonly string[];
}

interface StepView {
  readonly n: number;
  /** Index into the lanes: a CPU, or config.cpus for the kernel lane. */
  readonly lane: number;
  readonly text: string;
  readonly action: string;
  readonly changes: readonly string[];
  readonly ipis: number;
  /** The other CPUs whose TLB this step's IPIs visibly changed. */
  readonly ipiTargets: readonly number[];
  readonly state: readonly Section[];
}

/** The whole state, short: page tables, TLBs, frames, the tasks' batches, the abstract memory. */
function stateSummary(s: State): Section[] {
  const nPages = pagesPerMm(s);
  const page = (mm: number, v: number) => (s.mms.length > 1 ? `mm${mm}:p${v}` : `p${v}`);
  const ptes = s.mms.flatMap((mm, m) => [
    ...mm.pte.map((p, v) => `${page(m, v)}: ${pteText(p)}${mm.vma[v] === 'rw' ? '' : ` (vma ${mm.vma[v]})`}`),
    ...(mm.tlb_flush_batched ? [`${s.mms.length > 1 ? `mm${m} ` : ''}tlb_flush_batched`] : []),
  ]);
  const tlbs = s.cpus.map((cpu, c) => {
    const held = cpu.tlb.flatMap((e, slot) =>
      e === null ? [] : [`${page(Math.floor(slot / nPages), slot % nPages)} ${tlbText(e)}`],
    );
    return `CPU ${c}: ${held.join(', ') || 'empty'}`;
  });
  const frames = s.frames.map((f, i) => `f${i}: ${frameText(f)}`);
  const tasks = s.tasks.map((t, i) => {
    const nowr = t.tlb_ubc_nowr.flush_required ? `, tlb_ubc_nowr ${ubcText(t.tlb_ubc_nowr)}` : '';
    return `T${i} (${t.job}): tlb_ubc ${ubcText(t.tlb_ubc)}${nowr}`;
  });
  const memory = s.ghost.memory.flatMap((row, m) => row.map((x, v) => `${page(m, v)} = ${x}`)).join(', ');
  return [
    { title: 'page tables', lines: ptes },
    { title: 'TLBs', lines: tlbs },
    { title: 'frames', lines: frames },
    ...(tasks.length > 0 ? [{ title: 'tasks', lines: tasks }] : []),
    ...(s.migrc.reqs.length > 0
      ? [{ title: 'migrc_reqs', lines: s.migrc.reqs.map((r) => `cpus ${cpuSet(r.cpumask)} gen ${r.gen}`) }]
      : []),
    { title: 'last stored (ghost)', lines: [memory] },
  ];
}

function stepViews(input: RaceReportInput): StepView[] {
  const { variant, config, trace } = input;
  let pre = trace.initial;
  return trace.steps.map((step, i) => {
    const post = step.state;
    const a = step.action;
    const column = stepColumn(pre, a);
    const ipis = post.cost.ipis - pre.cost.ipis;
    const tlbChanged = (c: number) => JSON.stringify(pre.cpus[c]!.tlb) !== JSON.stringify(post.cpus[c]!.tlb);
    const ipiTargets =
      ipis > 0
        ? Array.from({ length: config.cpus }, (_, c) => c).filter((c) => c !== column && tlbChanged(c))
        : [];
    const view: StepView = {
      n: i + 1,
      lane: column ?? config.cpus,
      text: stepText(variant, pre, a),
      action: describeAction(a),
      changes: describeChanges(pre, post),
      ipis,
      ipiTargets,
      state: stateSummary(post),
    };
    pre = post;
    return view;
  });
}

// Geometry, in px. Texts are 12px monospace; CHAR is one character's advance with some slack.
const ROW = 32;
const BOX = 22;
const HEAD = 30;
const GUTTER = 40;
const CHAR = 7.3;
const SMALL_CHAR = 6.7;
const MIN_LANE = 130;
const MAX_LANE = 260;
const MIN_CHANGED = 200;
const MAX_CHANGED = 380;
// The changed column narrows as lanes are added, so that four CPUs still fit beside the details
// panel on a 1600px screen; the full text is in its tooltip and in the panel.
const FIT_WIDTH = 1150;

const clip = (s: string, max: number): string =>
  s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
const px = (v: number) => String(Math.round(v * 10) / 10);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function timelineSvg(input: RaceReportInput, views: readonly StepView[]): string {
  const { config } = input;
  const hasKernel = views.some((v) => v.lane === config.cpus);
  const nLanes = config.cpus + (hasKernel ? 1 : 0);
  const laneName = (l: number) => {
    if (l === config.cpus) return 'kernel';
    const tasks = config.taskCpus.flatMap((cpu, t) => (cpu === l ? [`T${t}`] : []));
    return `CPU ${l}${tasks.length > 0 ? ` · ${tasks.join(' ')}` : ''}`;
  };
  const widths = Array.from({ length: nLanes }, (_, l) => {
    const longest = Math.max(
      laneName(l).length,
      ...views.filter((v) => v.lane === l).map((v) => v.text.length + (v.ipis > v.ipiTargets.length ? 8 : 0)),
    );
    return Math.min(MAX_LANE, Math.max(MIN_LANE, longest * CHAR + 40));
  });
  const laneX = widths.map((_, l) => GUTTER + widths.slice(0, l).reduce((a, b) => a + b, 0));
  const changedX = GUTTER + widths.reduce((a, b) => a + b, 0) + 16;
  const changedText = (v: StepView) => v.changes.join('; ') || '(nothing)';
  const changedWidth = Math.max(
    MIN_CHANGED,
    Math.min(
      MAX_CHANGED,
      FIT_WIDTH - changedX,
      Math.max(...views.map((v) => changedText(v).length * SMALL_CHAR + 40)),
    ),
  );
  const width = changedX + changedWidth;
  const height = HEAD + views.length * ROW + 10;
  const center = (l: number) => laneX[l]! + widths[l]! / 2;
  const out: string[] = [];
  out.push(
    `<svg id="timeline" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" role="group" aria-label="timeline, one lane per CPU">`,
  );
  out.push(
    '<defs><marker id="ipi-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker></defs>',
  );
  widths.forEach((w, l) => {
    const x = laneX[l]!;
    out.push(
      `<rect class="lane${l % 2 ? ' odd' : ''}" x="${px(x)}" y="0" width="${px(w)}" height="${px(height)}"/>`,
    );
    out.push(`<text class="lane-title" x="${px(x + w / 2)}" y="19">${esc(laneName(l))}</text>`);
    out.push(
      `<line class="lifeline" x1="${px(x + w / 2)}" y1="${HEAD}" x2="${px(x + w / 2)}" y2="${px(height)}"/>`,
    );
  });
  out.push(`<text class="lane-title changed-title" x="${px(changedX)}" y="19">changed</text>`);
  const last = views.length;
  for (const v of views) {
    const top = HEAD + (v.n - 1) * ROW;
    const mid = top + ROW / 2;
    const violating = v.n === last;
    const lane = v.lane === config.cpus ? 'kernel' : `CPU ${v.lane}`;
    out.push(
      `<g class="step${violating ? ' violating' : ''}" data-step="${v.n}" tabindex="0" role="button" aria-label="${esc(`step ${v.n}, ${lane}: ${v.text}`)}">`,
    );
    out.push(`<title>${esc(`${v.n}. ${v.text}`)}</title>`);
    out.push(`<rect class="band" x="0" y="${px(top)}" width="${px(width)}" height="${ROW}"/>`);
    out.push(`<text class="n" x="${GUTTER - 10}" y="${px(mid + 4)}">${v.n}</text>`);
    const boxX = laneX[v.lane]! + 8;
    const boxW = widths[v.lane]! - 16;
    const badge = v.ipis > v.ipiTargets.length ? plural(v.ipis, 'IPI') : '';
    const room = Math.floor((boxW - 14 - (badge ? badge.length * SMALL_CHAR + 10 : 0)) / CHAR);
    out.push(
      `<rect class="box" x="${px(boxX)}" y="${px(mid - BOX / 2)}" width="${px(boxW)}" height="${BOX}" rx="4"/>`,
    );
    out.push(`<text class="label" x="${px(boxX + 7)}" y="${px(mid + 4)}">${esc(clip(v.text, room))}</text>`);
    if (badge)
      out.push(`<text class="badge" x="${px(boxX + boxW - 6)}" y="${px(mid + 4)}">${esc(badge)}</text>`);
    for (const target of v.ipiTargets) {
      const right = center(target) > center(v.lane);
      const x1 = right ? boxX + boxW : boxX;
      const x2 = center(target) + (right ? -1 : 1);
      out.push(
        `<g class="ipi"><line x1="${px(x1)}" y1="${px(mid)}" x2="${px(x2)}" y2="${px(mid)}" marker-end="url(#ipi-head)"/><text x="${px((x1 + x2) / 2)}" y="${px(mid - 4)}">IPI</text></g>`,
      );
    }
    const changed = changedText(v);
    const room2 =
      Math.floor((changedWidth - 8) / SMALL_CHAR) - (violating ? input.invariant.id.length + 3 : 0);
    const broken = violating ? `<tspan class="broken">✗ ${esc(input.invariant.id)} </tspan>` : '';
    out.push(
      `<text class="changed" x="${px(changedX)}" y="${px(mid + 4)}"><title>${esc(changed)}</title>${broken}${esc(clip(changed, room2))}</text>`,
    );
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --red: #cf222e; --red-bg: #ffebe9;
  --blue: #0969da; --blue-bg: #ddf4ff; --ipi: #8250df;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px 40px; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
h1 { font-size: 20px; margin: 0 0 4px; font-weight: 600; }
h1 .verdict { color: var(--red); }
h1 code { font-size: 18px; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 12px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.why { margin: 0 0 12px; color: var(--muted); max-width: 90ch; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0 0 12px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.witness { border-left: 4px solid var(--red); background: var(--red-bg); padding: 8px 12px; margin: 0 0 10px; max-width: 110ch; }
.replay { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px;
  margin: 0; white-space: pre-wrap; word-break: break-all; }
.layout { display: flex; gap: 24px; align-items: flex-start; margin-top: 20px; }
@media (max-width: 1000px) { .layout { flex-direction: column; align-items: stretch; } }
.timeline { flex: 0 1 auto; min-width: 0; overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 10px 10px 4px; }
.legend { color: var(--muted); font-size: 12px; margin: 0 0 6px; display: flex; gap: 16px; flex-wrap: wrap; }
.legend .swatch { display: inline-block; width: 12px; height: 10px; border-radius: 2px; vertical-align: -1px;
  margin-right: 4px; border: 1px solid #8c959f; background: #fff; }
.legend .swatch.violating { border-color: var(--red); background: var(--red-bg); }
.legend .swatch.ipi-arrow { border: 0; height: 2px; width: 16px; vertical-align: 3px; background: var(--ipi); }
svg { display: block; font-family: var(--mono); font-size: 12px; }
svg .lane { fill: #fff; }
svg .lane.odd { fill: #f6f8fa; }
svg .lane-title { text-anchor: middle; font-weight: 600; fill: var(--fg); }
svg .changed-title { text-anchor: start; fill: var(--muted); }
svg .lifeline { stroke: #afb8c1; stroke-dasharray: 3 4; }
svg .band { fill: transparent; }
svg .step { cursor: pointer; outline: none; }
svg .step:hover .band { fill: rgba(208, 215, 222, .35); }
svg .step.selected .band { fill: var(--blue-bg); }
svg .n { text-anchor: end; fill: var(--muted); }
svg .box { fill: #fff; stroke: #8c959f; }
svg .label { fill: var(--fg); }
svg .badge { text-anchor: end; font-size: 11px; fill: var(--ipi); }
svg .changed { fill: var(--muted); font-size: 11px; }
svg .broken { fill: var(--red); font-weight: 600; }
svg .ipi line { stroke: var(--ipi); stroke-width: 1.5; }
svg .ipi text { fill: var(--ipi); font-size: 10px; text-anchor: middle; }
svg #ipi-head path { fill: var(--ipi); }
svg .violating .box { fill: var(--red-bg); stroke: var(--red); stroke-width: 1.5; }
svg .violating .label, svg .violating .n { fill: #82071e; font-weight: 600; }
svg .step.selected .box { stroke: var(--blue); stroke-width: 2; }
svg .step.violating.selected .box { stroke: var(--red); stroke-width: 2.5; }
svg .step:focus-visible .box { stroke: var(--blue); stroke-width: 3; }
#details { flex: 1 0 300px; max-width: 480px; position: sticky; top: 12px; max-height: calc(100vh - 24px); overflow: auto;
  border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
#details.preview { border-style: dashed; }
#details.violating { border-color: var(--red); }
#details .text { margin: 0 0 2px; font-weight: 600; }
#details .action { margin: 0; color: var(--muted); font-size: 12px; }
#details ul { margin: 0; padding-left: 18px; }
#details li { font-family: var(--mono); font-size: 12.5px; }
#details dl { margin: 0; }
#details dt { font-size: 12px; color: var(--muted); margin-top: 6px; }
#details dd { margin: 0 0 0 10px; font-family: var(--mono); font-size: 12.5px; }
#details .witness { margin-top: 10px; }
.hint { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
`;

// Reads the per-step data and fills #details: hover or focus previews a step, click or Enter
// selects it, arrow keys move between steps. Builds the panel with textContent only.
const SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('trace-data').textContent);
  const details = document.getElementById('details');
  const steps = Array.from(document.querySelectorAll('#timeline .step'));
  let selected = data.steps.length;
  const add = (parent, tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  };
  const show = (n) => {
    const step = n === 0 ? null : data.steps[n - 1];
    const violating = n === data.steps.length;
    details.replaceChildren();
    details.classList.toggle('violating', violating);
    details.classList.toggle('preview', n !== selected);
    if (step === null) {
      add(details, 'h2', '', 'Initial state');
    } else {
      add(details, 'h2', '', 'Step ' + n + ' of ' + data.steps.length + ' \\u00b7 ' + step.lane);
      add(details, 'p', 'text mono', step.text);
      add(details, 'p', 'action mono', step.action);
      add(details, 'h3', '', 'changed');
      const ul = add(details, 'ul');
      if (step.changes.length === 0) add(ul, 'li', '', '(nothing)');
      for (const c of step.changes) add(ul, 'li', '', c);
    }
    if (violating) {
      const w = add(details, 'p', 'witness');
      add(w, 'strong', '', data.invariant + ' is broken here: ');
      w.appendChild(document.createTextNode(data.witness));
    }
    add(details, 'h3', '', step === null ? 'state' : 'state after step ' + n);
    const dl = add(details, 'dl');
    for (const section of step === null ? data.initial : step.state) {
      add(dl, 'dt', '', section.title);
      const dd = add(dl, 'dd');
      for (const line of section.lines) add(dd, 'div', '', line);
    }
    if (n !== selected) add(details, 'p', 'hint', 'Preview: click or press Enter to select.');
  };
  const select = (n) => {
    selected = n;
    for (const g of steps) g.classList.toggle('selected', Number(g.dataset.step) === n);
    show(n);
  };
  steps.forEach((g, i) => {
    const n = Number(g.dataset.step);
    g.addEventListener('click', () => select(n));
    g.addEventListener('mouseenter', () => show(n));
    g.addEventListener('mouseleave', () => show(selected));
    g.addEventListener('focus', () => show(n));
    g.addEventListener('blur', () => show(selected));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select(n);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const to = steps[i + (e.key === 'ArrowDown' ? 1 : -1)];
        if (to) to.focus();
      }
    });
  });
  select(selected);
})();
`;

/** The counterexample as one HTML page that needs nothing but a browser. */
export function formatHtmlTimeline(input: RaceReportInput): string {
  const { variant, config, invariant, witness, trace } = input;
  const views = stepViews(input);
  const nSteps = views.length;
  const laneOf = (v: StepView) => (v.lane === config.cpus ? 'kernel' : `CPU ${v.lane}`);
  const data = {
    invariant: invariant.id,
    witness: witness.message,
    initial: stateSummary(trace.initial),
    steps: views.map((v) => ({
      lane: laneOf(v),
      text: v.text,
      action: v.action,
      changes: v.changes,
      state: v.state,
    })),
  };
  const engine = `${input.engine}${input.seed === undefined ? '' : `, seed ${input.seed}`}${input.provenance ? `, ${input.provenance}` : ''}`;
  const where = nSteps === 0 ? 'in the initial state' : `after step ${nSteps}`;
  const heading = `VIOLATED ${invariant.id} in ${variant.id}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${esc(heading)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1><span class="verdict">VIOLATED</span> <code>${esc(invariant.id)}</code> in <code>${esc(variant.id)}</code></h1>
<p class="why">${esc(invariant.why)}</p>
<dl class="facts">
<dt>protocol</dt><dd><code>${esc(variant.id)}</code>${variant.base ? ` (changes <code>${esc(variant.base)}</code>)` : ''}: ${esc(variant.title)}</dd>
<dt>config</dt><dd>${esc(describeConfig(config))}</dd>
<dt>engine</dt><dd>${esc(engine)}</dd>
<dt>length</dt><dd>${plural(nSteps, 'step')}</dd>
</dl>
<p class="witness"><strong>${esc(invariant.id)} is broken ${where}:</strong> ${esc(witness.message)}</p>
<pre class="replay">${esc(replayCommand(input))}</pre>
</header>
<main class="layout">
<section class="timeline">
<div class="legend"><span>time flows down, one lane per CPU</span><span><span class="swatch"></span>step</span><span><span class="swatch violating"></span>violating step</span><span><span class="swatch ipi-arrow"></span>IPI to a CPU whose TLB it changed</span></div>
${timelineSvg(input, views)}
</section>
<aside id="details" aria-live="polite"><noscript>Enable JavaScript to see each step's changes and state.</noscript></aside>
</main>
<script type="application/json" id="trace-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
