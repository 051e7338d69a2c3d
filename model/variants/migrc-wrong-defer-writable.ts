// Seed lineage: migrc that defers the flush of writable mappings too. A CPU that cached
// the source writable keeps storing into it after remove_migration_ptes() mapped the
// destination: the store lands in the read copy and is lost when the copy is freed.
// migrc v3 keeps only folios with no writable mapping (migrc_cond2: "There's no writable
// mapping at all", seed 001); the flush of a writable entry cannot wait. Caught by
// noStaleWritableTlbAfterRemap, noLostWrite and loadsSeeLastStore.
// Versions: none (a seeded bug on migrc-fixed, itself unmerged: migrc v3, posted 2023-10-30
// on v6.6-rc5, with this project's ten changes).

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcWrongDeferWritable = defineVariant({
  id: 'migrc-wrong-defer-writable',
  title: 'migrc that also defers the flush of writable entries',
  source: 'seed 001 (migrc v3), without migrc_cond2',
  base: migrcFixed,
  notes: 'tlb_ubc_nowr collects every entry, writable or not.',
  policy: { migrc: { readOnlyOnly: false } },
  fixedBy: 'migrc-fixed',
  violates: ['noStaleWritableTlbAfterRemap', 'noLostWrite', 'loadsSeeLastStore'],
  reaches: ['pageMigrated'],
});
