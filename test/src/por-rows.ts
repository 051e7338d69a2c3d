// Partial-order reduction against the recorded manifest (expected/manifest.json): the
// explorer with --por must reach the same verdict on every invariant, the same shortest
// length, and, where nothing was found, the same states and depth (sleep sets visit every
// state, at its distance) in no more transitions. Shared by the fast and the full tier.

import { CONFIGS, type Config } from '../../model/config.js';
import { checkVariant } from '../../src/check/check.js';
import { type ManifestRow, rowOptions } from '../../src/check/manifest.js';
import { recordedManifest, variant } from '../support.js';

/** The explorer's rows without symmetry whose largest search has at most `max` states (more than `min`). */
export function explorerRows(min: number, max: number): ManifestRow[] {
  return recordedManifest().rows.filter((r) => {
    if (r.engine !== 'exhaustive' || r.symmetry === true) return false;
    const states = Math.max(...Object.values(r.invariants).map((c) => c.states ?? 0));
    return states > min && states <= max;
  });
}

/** What differs between the row and the same search with --por, as lines; none if sound. */
export function porMismatches(row: ManifestRow): string[] {
  const config = (CONFIGS as Record<string, Config>)[row.world];
  if (config === undefined) return [`${row.protocol}: no world ${row.world}`];
  const protocol = variant(row.protocol);
  // the row's own search (its world and state budget), with --por
  const v = checkVariant(protocol, {
    ...rowOptions(protocol, 'exhaustive', row.maxStates, { config }),
    por: true,
  });
  const out: string[] = [];
  for (const [id, cell] of Object.entries(row.invariants)) {
    const got = v.invariants.find((i) => i.invariant === id);
    const at = `${row.protocol} in ${row.world}, ${id}`;
    if (got === undefined) {
      out.push(`${at}: not checked`);
      continue;
    }
    if (got.verdict !== cell.verdict) out.push(`${at}: ${got.verdict}, recorded ${cell.verdict}`);
    else if (cell.verdict === 'violated') {
      if (got.counterexample?.length !== cell.length)
        out.push(`${at}: length ${got.counterexample?.length}, recorded ${cell.length}`);
    } else {
      if (got.states !== cell.states || got.depth !== cell.depth)
        out.push(
          `${at}: ${got.states} states depth ${got.depth}, recorded ${cell.states} depth ${cell.depth}`,
        );
      if ((got.transitions ?? 0) > (cell.transitions ?? 0))
        out.push(`${at}: ${got.transitions} transitions, more than the ${cell.transitions} recorded`);
    }
  }
  return out;
}
