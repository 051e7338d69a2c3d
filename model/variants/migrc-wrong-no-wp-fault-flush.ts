// Seed lineage: migrc without the flush in do_wp_page(). A write fault makes the
// destination writable while another CPU still reads the source through a read-only
// entry migrc did not flush: the store goes to dst, the reader keeps seeing the old value
// in src. v3 gives up deferring there ("the problem might arise if it's going to become
// writable", migrc_try_flush_free_folios() in do_wp_page(), seed 001). Caught by
// loadsSeeLastStore.
// Versions: none (a seeded bug on migrc-fixed, itself unmerged: migrc v3, posted 2023-10-30
// on v6.6-rc5, with this project's ten changes).

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcWrongNoWpFaultFlush = defineVariant({
  id: 'migrc-wrong-no-wp-fault-flush',
  title: 'migrc whose write fault makes dst writable without flushing the read copies',
  source: 'seed 001 (migrc v3), without the do_wp_page() hunk',
  base: migrcFixed,
  notes: 'Nothing flushes the deferred entries before the page becomes writable.',
  policy: { migrc: { wpFaultFlush: false } },
  fixedBy: 'migrc-fixed',
  violates: ['loadsSeeLastStore'],
  reaches: ['pageMigrated'],
});
