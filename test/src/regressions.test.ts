// Every counterexample the project has found, kept as a trace file under test/regressions/
// and replayed here: each must still break its invariant at the recorded step, through the
// same states. A failure means the model changed: if on purpose, rewrite the trace with
// `npx shootdown replay F --update` (only its states, when it still breaks its invariant at
// the recorded step) or `--trace F.new`, and read the diff; if not, it is a regression.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { findInvariant } from '../../properties/invariants.js';
import { formatHtmlTimeline } from '../../src/report/html.js';
import { formatRaceReport } from '../../src/report/report.js';
import { parseTraceDocument, replayTraceDocument } from '../../src/report/trace-file.js';
import { variant } from '../support.js';

const DIR = 'test/regressions';
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const docs = files.map((f) => ({ file: f, doc: parseTraceDocument(readFileSync(join(DIR, f), 'utf8'), f) }));

describe('the regression corpus', () => {
  it('is there', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const { file, doc } of docs)
    it(`${file} still breaks ${doc.invariant} at step ${doc.violation.atStep}, state for state`, () => {
      const r = replayTraceDocument(doc, variant(doc.protocol), findInvariant(doc.invariant)!);
      expect(r.outcome).toEqual({ kind: 'violated', atStep: doc.violation.atStep });
      expect(r.firstDifferentState).toBeNull();
      expect(r.result.violation!.witness.message).toBe(doc.violation.message);
    });

  it('holds a counterexample for every bug the registry expects, from both engines', () => {
    const missing: string[] = [];
    for (const v of VARIANTS)
      for (const inv of v.violates)
        for (const engine of ['random', 'exhaustive'])
          if (
            // (one only the explorer is expected to find has no random trace)
            !(engine === 'random' && v.explorerOnly?.includes(inv)) &&
            !docs.some(
              ({ doc }) => doc.protocol === v.id && doc.invariant === inv && doc.engine.startsWith(engine),
            )
          )
            missing.push(`${v.id} ${inv} (${engine})`);
    expect(
      missing,
      'add them with: npx shootdown check --protocol ID --engine both --reports all --trace test/regressions/',
    ).toEqual([]);
  });

  it('each renders as a race report and an HTML timeline with a row per step', () => {
    for (const { doc } of docs) {
      const r = replayTraceDocument(doc, variant(doc.protocol), findInvariant(doc.invariant)!);
      const input = {
        variant: variant(doc.protocol),
        config: doc.config as Config,
        invariant: findInvariant(doc.invariant)!,
        witness: r.result.violation!.witness,
        trace: r.result.trace,
        engine: doc.engine,
      };
      const rows = formatRaceReport(input)
        .split('\n')
        .filter((l) => /^(>>| {2})\d+ +\|/.test(l));
      expect(rows).toHaveLength(doc.actions.length);
      expect(formatHtmlTimeline(input).match(/class="step[ "]/g)).toHaveLength(doc.actions.length);
    }
  });

  it('names each file after what it holds', () => {
    for (const { file, doc } of docs)
      expect(file).toBe(
        `${doc.protocol}.${doc.invariant}.${doc.engine.startsWith('random') ? 'random' : 'exhaustive'}.json`,
      );
  });
});
