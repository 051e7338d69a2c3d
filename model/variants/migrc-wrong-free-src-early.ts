// Seed lineage: migrc without its read copy. The source folio is freed at the end of the
// migration, as migrate_pages() always frees it, while the flush of the read-only entries
// that still map it is deferred: a CPU reads a frame the allocator has handed on. Keeping
// src alive (folio_get() in migrc_mark_folios(), PG_migrc) until the deferred flush is
// what makes skipping the flush possible at all ("keeping both src and dst folios",
// seed 001). Caught by noAccessToFreedFrame, and by loadsSeeLastStore once the
// frame is reused.
// Versions: none (a seeded bug on migrc-fixed, itself unmerged: migrc v3, posted 2023-10-30
// on v6.6-rc5, with this project's ten changes).

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcWrongFreeSrcEarly = defineVariant({
  id: 'migrc-wrong-free-src-early',
  title: 'migrc that skips the flush but frees the source at once',
  source: 'seed 001 (migrc v3), without the extra reference on src',
  base: migrcFixed,
  notes: 'The flush is deferred, the read copy is not kept.',
  policy: { migrc: { keepSrc: false } },
  fixedBy: 'migrc-fixed',
  violates: ['noAccessToFreedFrame', 'loadsSeeLastStore'],
  reaches: ['pageMigrated'],
});
