// Every protocol shootdown knows, correct ones first, then the seeded bugs, then the
// historical ones (each with the twin that fixed it).

import type { Variant } from './variant.js';
import { batchCopy } from './variants/batch-copy.js';
import { batchCopyCopyFirst } from './variants/batch-copy-copy-first.js';
import { forkCow } from './variants/fork-cow.js';
import { forkCowV2618 } from './variants/fork-cow-v2.6.18-set-before-flush.js';
import { forkCowV64 } from './variants/fork-cow-v6.4-fault-during-fork.js';
import { forkCowNoCowFlush } from './variants/fork-cow-wrong-no-cow-flush.js';
import { madviseV412 } from './variants/madvise-v4.12-nested-flush-miss.js';
import { migrateBatched } from './variants/migrate-batched.js';
import { migrateBatchedWrongCopyBeforeFlush } from './variants/migrate-batched-wrong-copy-before-flush.js';
import { migrateBatchedWrongRemapBeforeFlush } from './variants/migrate-batched-wrong-remap-before-flush.js';
import { migrateVma } from './variants/migrate-vma.js';
import { migrateVmaV519 } from './variants/migrate-vma-v5.19-flush-after-unlock.js';
import { migrc } from './variants/migrc.js';
import { migrcFixed } from './variants/migrc-fixed.js';
import { migrcV3GenWrap } from './variants/migrc-v3-gen-wrap.js';
import { migrcV3LocalWritableUnseen } from './variants/migrc-v3-local-writable-unseen.js';
import { migrcV3MoveFailLeak } from './variants/migrc-v3-move-fail-leak.js';
import { migrcWrongDeferWritable } from './variants/migrc-wrong-defer-writable.js';
import { migrcWrongForkWriteProtect } from './variants/migrc-wrong-fork-write-protect.js';
import { migrcWrongFreeSrcEarly } from './variants/migrc-wrong-free-src-early.js';
import { migrcWrongNoDirectWriteFlush } from './variants/migrc-wrong-no-direct-write-flush.js';
import { migrcWrongNoWpFaultFlush } from './variants/migrc-wrong-no-wp-fault-flush.js';
import { mremap } from './variants/mremap.js';
import { mremapV48 } from './variants/mremap-v4.8-flush-after-unlock.js';
import { mremapV418 } from './variants/mremap-v4.18-clean-flush-after-unlock.js';
import { numaHinting } from './variants/numa-hinting.js';
import { numaV312 } from './variants/numa-v3.12-protnone-not-accessible.js';
import { pfnmapArm64V518 } from './variants/pfnmap-arm64-v5.18-flush-at-vma-end.js';
import { pfnmapStableFirstVma } from './variants/pfnmap-stable-first-vma-only.js';
import { pfnmapV518 } from './variants/pfnmap-v5.18-unlink-before-flush.js';
import { pin } from './variants/pin.js';
import { pinWrongMigratePinned } from './variants/pin-wrong-migrate-pinned.js';
import { privateFile } from './variants/private-file.js';
import { privateFileNoCowFlush } from './variants/private-file-wrong-no-cow-flush.js';
import { reclaimBatched } from './variants/reclaim-batched.js';
import { reclaimBatchedDirty } from './variants/reclaim-batched-dirty.js';
import { reclaimBatchedDirtyArm64 } from './variants/reclaim-batched-dirty-arm64.js';
import { reclaimBatchedDirtyArm64V66 } from './variants/reclaim-batched-dirty-arm64-v6.6-dsb-batched-pending.js';
import { reclaimBatchedDirtyFlagRace } from './variants/reclaim-batched-dirty-batched-flag-race.js';
import { reclaimBatchedDirtyGenerations } from './variants/reclaim-batched-dirty-batched-generations.js';
import { reclaimBatchedDirtyPcid } from './variants/reclaim-batched-dirty-pcid.js';
import { reclaimBatchedDirtyPcidGenZero } from './variants/reclaim-batched-dirty-pcid-tip-2022-tlb-gen-zero.js';
import { reclaimBatchedDirtyPcidNoBump } from './variants/reclaim-batched-dirty-pcid-wrong-no-tlb-gen-bump.js';
import { reclaimBatchedDirtyRefaultWindow } from './variants/reclaim-batched-dirty-refault-window.js';
import { reclaimBatchedDirtyV412 } from './variants/reclaim-batched-dirty-v4.12-no-batched-pending.js';
import { reclaimBatchedDirtyWrongNoFlushDirty } from './variants/reclaim-batched-dirty-wrong-no-flush-dirty.js';
import { reclaimBatchedWrongFreeBeforeFlush } from './variants/reclaim-batched-wrong-free-before-flush.js';
import { reclaimBatchedWrongNoDirtyTrap } from './variants/reclaim-batched-wrong-no-dirty-trap.js';
import { sharedFile } from './variants/shared-file.js';
import { sharedFileV314 } from './variants/shared-file-v3.14-flush-after-unlock.js';
import { sharedFileV412 } from './variants/shared-file-v4.12-nested-flush-miss.js';
import { sharedFileV61 } from './variants/shared-file-v6.1-rmap-before-flush.js';
import { sharedFileNoMkcleanFlush } from './variants/shared-file-wrong-no-mkclean-flush.js';
import { sync } from './variants/sync.js';
import { x86Pcid } from './variants/x86-pcid.js';
import { x86PcidStable } from './variants/x86-pcid-stable-switching-after-tlb-gen.js';
import { x86PcidV614 } from './variants/x86-pcid-v6.14-switching-window.js';
import { x86PcidNoSwitchBarrier } from './variants/x86-pcid-v6.15-no-switch-barrier.js';
import { x86PcidV615rc5 } from './variants/x86-pcid-v6.15-rc5-switching-skipped.js';

export const VARIANTS: readonly Variant[] = [
  sync,
  reclaimBatched,
  reclaimBatchedDirty,
  migrateBatched,
  reclaimBatchedDirtyArm64,
  migrateBatchedWrongCopyBeforeFlush,
  migrateBatchedWrongRemapBeforeFlush,
  reclaimBatchedWrongFreeBeforeFlush,
  reclaimBatchedDirtyWrongNoFlushDirty,
  reclaimBatchedWrongNoDirtyTrap,
  reclaimBatchedDirtyV412,
  reclaimBatchedDirtyArm64V66,
  reclaimBatchedDirtyGenerations,
  reclaimBatchedDirtyFlagRace,
  reclaimBatchedDirtyRefaultWindow,
  migrateVma,
  migrateVmaV519,
  migrc,
  migrcFixed,
  migrcWrongFreeSrcEarly,
  migrcWrongDeferWritable,
  migrcWrongNoWpFaultFlush,
  migrcWrongForkWriteProtect,
  migrcWrongNoDirectWriteFlush,
  migrcV3LocalWritableUnseen,
  migrcV3GenWrap,
  migrcV3MoveFailLeak,
  batchCopy,
  batchCopyCopyFirst,
  x86Pcid,
  x86PcidV614,
  x86PcidV615rc5,
  x86PcidNoSwitchBarrier,
  x86PcidStable,
  reclaimBatchedDirtyPcid,
  reclaimBatchedDirtyPcidNoBump,
  reclaimBatchedDirtyPcidGenZero,
  forkCow,
  forkCowNoCowFlush,
  forkCowV64,
  forkCowV2618,
  sharedFile,
  sharedFileNoMkcleanFlush,
  sharedFileV61,
  sharedFileV412,
  madviseV412,
  sharedFileV314,
  pfnmapV518,
  pfnmapStableFirstVma,
  pfnmapArm64V518,
  privateFile,
  privateFileNoCowFlush,
  mremap,
  mremapV418,
  mremapV48,
  numaHinting,
  numaV312,
  pin,
  pinWrongMigratePinned,
];

export function findVariant(id: string): Variant | undefined {
  return VARIANTS.find((v) => v.id === id);
}
