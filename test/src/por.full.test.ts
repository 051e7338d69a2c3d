// --por against the manifest on the explorer's rows of 5,000 to 150,000 states (the
// small ones are in por.test.ts; larger rows take minutes each).

import { describe, expect, it } from 'vitest';
import { explorerRows, porMismatches } from './por-rows.js';

describe('partial-order reduction changes no verdict, length or state count (larger rows)', () => {
  it.each(explorerRows(5_000, 150_000).map((r) => [`${r.protocol} in ${r.world}`, r] as const))(
    '%s',
    (_, row) => {
      expect(porMismatches(row)).toEqual([]);
    },
    300_000,
  );
});
