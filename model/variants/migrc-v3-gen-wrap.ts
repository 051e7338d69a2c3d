// migrc v3's generations are ints: migrc_gen (atomic_t) and each CPU's migrc_done, compared
// with before(a, b) = a - b < 0. arch_migrc_adj() drops from a request every CPU whose
// migrc_done is not before the request's generation, taking it to have flushed its whole
// TLB since. A CPU that does no full local flush for 2^31 generations (with PCID a context
// switch does not flush everything; a nohz_full CPU may run one task for days) keeps its
// migrc_done while migrc_gen runs more than half the int range ahead: then before() reads
// the CPU as flushed, every request skips it, and it keeps the read-only entries migrc
// deferred: it reads the source after the destination is written (loadsSeeLastStore, 12
// steps), and after the flush that skipped it has freed the source (noAccessToFreedFrame,
// 11 steps). Its
// own flush_tlb_local() no longer records anything either (migrc_tlb_local_end() writes only
// when before(done, gen)). Nadav Amit asked in his review (seed 001): "Any concern about
// overflow?" The model shrinks the counters to two bits and starts the world at the wrap
// (Config.migrcGenBits, world migrc-gen-wrap). migrc-fixed keeps 64-bit counters (wideGen).
// Versions: none merged; migrc v3's generations as posted (linux-mm, 2023-10-30, based on
// v6.6-rc5), its other holes closed as in migrc-fixed.

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcV3GenWrap = defineVariant({
  id: 'migrc-v3-gen-wrap',
  title: "migrc with v3's other holes closed, but v3's int generations, which wrap",
  source:
    'Byungchul Park, migrc v3 (linux-mm, 2023-10-30, seed 001): DEFINE_PER_CPU(int, migrc_done), before()',
  base: migrcFixed,
  notes:
    'Two-bit counters standing for ints: the world starts where migrc_gen is half the range ahead of every migrc_done.',
  policy: { migrc: { wideGen: false } },
  world: 'migrc-gen-wrap',
  fixedBy: 'migrc-fixed',
  violates: ['noAccessToFreedFrame', 'loadsSeeLastStore'],
  reaches: ['pageMigrated', 'migrcSourceHeld', 'migrcFlushedOnDemand'],
  // the flusher's walk, a step per mm, spreads the random runs thinner: run 2,519 of seed 1
  randomRuns: 4000,
});

// Its shortest counterexamples (lengths in expected/manifest.json): migrc-gen-wrap: one
// generation past the wrap, arch_migrc_adj() skips CPU 0, and the flush on the write fault
// frees src under its entry
