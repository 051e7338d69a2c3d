// A variant for the deep searches, checked with:
//   npx shootdown check --variant-file examples/migrc-stop-drops-flush.ts --engine swarm
// migrc-fixed with v3's handling of migrc_stop_pending() put back: a batch that sees the
// stop between two folios frees its request, and with it the flush of the folios it has
// already marked (stopKeepsFlush: false). The race is 20 steps deep in migrc-pressure, past
// what the explorer reaches there (3,000,000 states go 13 deep), so no other engine finds
// it; the swarm does in about a minute and a half.
import { defineVariant, findVariant } from 'shootdown';

export default defineVariant({
  id: 'migrc-stop-drops-flush',
  title: "migrc-fixed with v3's migrc_stop_pending(): the request's flush is dropped",
  source:
    'Byungchul Park, migrc v3 (linux-mm, 2023-10-30): migrc_req_end_if_started() in migrate_pages_batch()',
  base: findVariant('migrc-fixed')!,
  policy: { migrc: { stopKeepsFlush: false } },
  world: 'migrc-pressure',
  // src is freed (or, in v3 itself, leaked) while a CPU still caches it
  violates: ['noAccessToFreedFrame', 'loadsSeeLastStore'],
});
