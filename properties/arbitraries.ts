// What the random engine draws. A command is a pick among the actions enabled in the
// current state, so no generated command is wasted on a failed guard: drawing actions
// blind wasted 36% of commands on the `small` config (measured, 300 runs of 50), and
// 66-73% in the prototype of PERFORMANCE-NOTES.md.

import fc from 'fast-check';
import type { Action, Op } from '../model/actions.js';

// Measured on migrc's rarest windows (six seeds each, runs to the first counterexample):
// kernel steps 16 (from 10), system calls 4 (from 2), context switches and frame reuse
// 1 and 2 (from 2 and 4; each wipes or spends the stale entry a race needs) cut the median
// for migrc / noStaleWritableTlbAfterRemap from about 1,100 runs to 80 and for
// migrc-wrong-no-wp-fault-flush / loadsSeeLastStore from about 4,100 to 960.
// switch_mm 8 (from 1, 4 and 16): a PCID race needs a switch away and one back around a
// flush; median runs to x86-pcid-stable-switching-after-tlb-gen / noAccessAfterRevoke
// over six seeds went from about 4,000 to 1,200 (4), 290 (8) and 1,300 (16).
/** How often each kind of action is picked when it is enabled. */
export const OP_WEIGHTS: Readonly<Record<Op, number>> = {
  load: 6,
  store: 8,
  tlbEvict: 1,
  reuseFrame: 2,
  migrate_pages: 2,
  migrate_misplaced_folio: 2,
  shrink_folio_list: 2,
  syscall: 4,
  write: 4,
  dma_write: 4,
  mmap: 2,
  flush_tlb_local: 1,
  switch_mm: 8,
  load_new_mm_cr3: 1,
  set_loaded_mm: 1,
  enter_lazy_tlb: 1,
  drain_store_buffer: 2,
  migrc_stop_pending: 1,
  migrc_resume_pending: 1,
  // Kernel tasks must make progress for a batch to open and close its race window.
  kernelStep: 16,
  copyFails: 2,
  // The second half of a copy-on-write fault: as likely as a kernel step would leave the
  // window between the copy and the flush too short for a stale store to land in it.
  wp_page_copy: 4,
  // The flusher and reclaim of the shared file's pages (sharedFile worlds): 8 and 8 (from
  // 4 and 2) took the median runs to shared-file-v6.1's lost write over six seeds from
  // about 1,500 to 1,000.
  writeback: 8,
  remove_mapping: 8,
};

export interface Pick {
  /** Chooses the kind of action, in proportion to OP_WEIGHTS among the enabled kinds. */
  readonly roll: number;
  /** Chooses one action of that kind. */
  readonly index: number;
}

export const pickArbitrary: fc.Arbitrary<Pick> = fc.record({
  roll: fc.nat({ max: 9999 }),
  index: fc.nat({ max: 9999 }),
});

/** The action a pick names among `enabled` (non-empty), deterministically. */
export function resolvePick(pick: Pick, enabled: readonly Action[]): Action {
  const byOp = new Map<Op, Action[]>();
  for (const a of enabled) {
    const group = byOp.get(a.op);
    if (group) group.push(a);
    else byOp.set(a.op, [a]);
  }
  const ops = [...byOp.keys()];
  const total = ops.reduce((sum, op) => sum + OP_WEIGHTS[op], 0);
  let roll = pick.roll % total;
  for (const op of ops) {
    if (roll < OP_WEIGHTS[op]) {
      const group = byOp.get(op)!;
      return group[pick.index % group.length]!;
    }
    roll -= OP_WEIGHTS[op];
  }
  throw new Error('unreachable: roll past the total weight');
}
