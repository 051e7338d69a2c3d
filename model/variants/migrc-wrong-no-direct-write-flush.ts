// migrc with v3's holes closed, against a kernel write into the destination through the
// direct map: write(2) to a page-cache page, process_vm_writev(2) or an O_DIRECT read find
// the folio by the page cache or a page-table walk and write it with no user TLB entry and
// no write fault, so do_wp_page()'s flush (wpFaultFlush) never runs. Another CPU still
// reads the source through the read-only entry migrc kept and sees the old contents after
// the write returned (loadsSeeLastStore). migrc-fixed flushes the pending requests before
// such a write into a PG_migrc folio (directWriteFlush).
// Versions: none (migrc-fixed without directWriteFlush: a hole migrc v3, posted 2023-10-30
// on v6.6-rc5, has too).

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcWrongNoDirectWriteFlush = defineVariant({
  id: 'migrc-wrong-no-direct-write-flush',
  title: 'migrc with v3 repaired, against a kernel write through the direct map: no flush before it',
  source: 'this project: migrc-fixed without directWriteFlush',
  base: migrcFixed,
  notes: 'The write is modelled as one step under the folio lock, into whatever frame the PTE names.',
  policy: { migrc: { directWriteFlush: false } },
  world: 'migrc-write',
  fixedBy: 'migrc-fixed',
  violates: ['loadsSeeLastStore'],
  reaches: ['pageMigrated', 'migrcSourceHeld'],
  // Runs to the first counterexample over seeds 1-6: 468, 3,527, 1,063, 6,870, 2,109, 3,009.
  randomRuns: 8_000,
});
