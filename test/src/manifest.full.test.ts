// The random engine's rows of expected/manifest.json, every protocol in its own world with
// its own runs (what `npm run check` runs): recomputed and compared, count for count. The
// explorer's rows are recomputed by engines-agree.full.test.ts, which searches them anyway.

import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../model/registry.js';
import { checkVariant } from '../../src/check/check.js';
import { manifestDifferences, rowOf, rowOptions } from '../../src/check/manifest.js';
import { ownRows, recordedManifest } from '../support.js';

describe('expected/manifest.json, the random engine', () => {
  it('every protocol finds what is recorded, run for run', () => {
    const manifest = recordedManifest();
    const rows = VARIANTS.map((v) => {
      const options = rowOptions(v, 'random');
      return rowOf(checkVariant(v, options), options);
    });
    const recorded = ownRows().filter((r) => r.engine === 'random');
    expect(manifestDifferences({ ...manifest, rows: recorded }, { ...manifest, rows })).toEqual([]);
  });
});
