// `shootdown liveness`: deadlocks and leads-to properties on each protocol's whole graph
// (src/engine/liveness.ts). Exit 0 when every protocol's graph was built whole with no
// deadlock and every property holding, 1 otherwise (a budget that cut a graph short is no
// verdict), 2 for bad input.

import type { Action } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { initialState } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import { LEADS_TO } from '../../properties/liveness.js';
import { worldOf } from '../check/check.js';
import { stepColumn } from '../codec/format.js';
import { checkLiveness, DEFAULT_LIVENESS_STATES, type LivenessResult } from '../engine/liveness.js';
import { step } from '../engine/trace.js';
import { count } from '../progress.js';
import { stepText } from '../report/report.js';
import { loadVariantFiles, pickConfig, selectProtocols } from './args.js';
import type { Io } from './io.js';

export interface LivenessFlags {
  protocol?: string[];
  config?: string;
  variantFile?: string[];
  maxStates?: number;
  json?: boolean;
}

/**
 * A path from the initial state, one numbered line a step as a race report writes it: the
 * CPU it runs on, the kernel function or the user's call (each step replayed to name it).
 */
function narrate(v: Variant, config: Config, actions: readonly Action[]): string[] {
  let pre = initialState(config);
  return actions.map((a, k) => {
    const column = stepColumn(pre, a);
    const line = `    ${String(k + 1).padStart(3)}. ${column === null ? 'kernel' : `CPU ${column}`}: ${stepText(v, pre, a)}`;
    pre = step(v, pre, a);
    return line;
  });
}

function formatResult(v: Variant, config: Config, r: LivenessResult): string {
  const lines = [
    `${v.id} in ${config.name}: ${count(r.states)} states, ${count(r.edges)} transitions${r.complete ? '' : ', INCOMPLETE (the state budget ended the search: no verdict)'}`,
  ];
  if (r.deadlock !== null) {
    lines.push(`  DEADLOCK: nothing can run while ${r.deadlock.waits}, after:`);
    lines.push(...narrate(v, config, r.deadlock.path));
  } else if (r.complete) lines.push('  no deadlock');
  for (const p of r.properties) {
    if (p.verdict !== 'violated') {
      lines.push(`  ${p.property}: ${p.verdict === 'holds' ? 'holds' : 'no verdict'}`);
      continue;
    }
    const l = p.lasso!;
    lines.push(`  ${p.property}: VIOLATED: ${p.instance} never gets there`);
    lines.push(`    (pending from step ${l.pendingAt}${l.pendingAt === 0 ? ', the initial state' : ''})`);
    const steps = narrate(v, config, [...l.prefix, ...l.loop]);
    lines.push(...steps.slice(0, l.prefix.length));
    if (l.loop.length === 0) lines.push('    then nothing can run (a deadlock)');
    else {
      lines.push('    then, for ever (a fair run: each step a fair run owes is taken in the loop):');
      lines.push(...steps.slice(l.prefix.length));
    }
  }
  return lines.join('\n');
}

export async function runLiveness(flags: LivenessFlags, io: Io): Promise<number> {
  const { fromFiles, worlds } = await loadVariantFiles(flags.variantFile);
  const variants = selectProtocols(flags.protocol, fromFiles);
  const fixed = flags.config === undefined ? undefined : pickConfig(flags.config, worlds);
  const maxStates = flags.maxStates ?? DEFAULT_LIVENESS_STATES;
  const results = variants.map((v) => {
    const config = fixed ?? worldOf(v, 'exhaustive', worlds);
    const r = checkLiveness(v, config, { maxStates });
    const ok = r.complete && r.deadlock === null && r.properties.every((p) => p.verdict === 'holds');
    if (!flags.json) io.out(`${formatResult(v, config, r)}\n`);
    return { protocol: v.id, config: config.name, ok, ...r };
  });
  const ok = results.every((r) => r.ok);
  if (flags.json)
    io.out(
      JSON.stringify(
        {
          tool: 'shootdown',
          properties: LEADS_TO.map((p) => ({ id: p.id, why: p.why })),
          maxStates,
          protocols: results,
          ok,
        },
        null,
        2,
      ),
    );
  else {
    const bad = results.filter((r) => !r.ok).map((r) => r.protocol);
    io.out(
      bad.length === 0
        ? `${results.length} protocols: no deadlock, every leads-to property holds, every graph whole`
        : `${bad.length} of ${results.length} protocols with a deadlock, a violation or no verdict: ${bad.join(', ')}`,
    );
  }
  return ok ? 0 : 1;
}
