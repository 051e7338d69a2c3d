// Seeded bug: reclaim-batched on an architecture without the dirty-bit write-through trap.
// Mistake: the protocol is right but the hardware breaks its assumption. A CPU caching a
// writable but clean entry stores after the PTE was cleared; without the trap the store
// sets D in the TLB only, reclaim sees a clean page, discards it, and the write is lost.
// Breaks dirtyBitWriteThroughTrap, dirtyNeverDroppedClean and noLostWrite. The guarantee
// 72b252aed506 asks of every architecture that selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH.
// Versions: none (a seeded bug on reclaim-batched's kernel, on hardware without the trap).

import { defineVariant, NO_DIRTY_TRAP } from '../variant.js';
import { reclaimBatched } from './reclaim-batched.js';

export const reclaimBatchedWrongNoDirtyTrap = defineVariant({
  id: 'reclaim-batched-wrong-no-dirty-trap',
  title: 'Seeded bug: batched reclaim on hardware without the dirty-bit trap',
  source: 'seeded; the architectural guarantee in 72b252aed506 (seed 003)',
  base: reclaimBatched,
  notes: 'The arch sets D in a cached entry without re-walking the page table.',
  policy: { arch: NO_DIRTY_TRAP },
  fixedBy: 'reclaim-batched',
  violates: ['dirtyBitWriteThroughTrap', 'dirtyNeverDroppedClean', 'noLostWrite', 'loadsSeeLastStore'],
});
