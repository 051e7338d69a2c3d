// Page faults (mm/memory.c, mm/filemap.c): the handlers that model/fault.ts chooses.

import type { Draft } from 'immer';
import { allocAnon, dropMapping, folio_put, takeFree } from './folio.js';
import { migrc_unpend_folio } from './migrc.js';
import { anonExclusive, mremapTarget, pfnmapPage, readsFile } from './queries.js';
import { MAPPED_FILE, type State } from './state.js';
import { flushTlbMulti } from './tlbflush.js';
import type { Policy } from './variant.js';

/** do_swap_page(): read the page back from swap into a new frame and map it. */
export function do_swap_page(d: Draft<State>, mm: number, vpage: number, frame: number): void {
  allocAnon(d, frame, mm, vpage, d.mms[mm]!.swap[vpage]!);
  // The new PTE is writable only if the VMA is (an exclusive anonymous page).
  const writable = d.mms[mm]!.vma[vpage] === 'rw';
  d.mms[mm]!.pte[vpage] = { kind: 'present', frame, writable, dirty: false, accessed: true };
}

/**
 * do_numa_page() when the folio stays (numa_migrate_check() finds it on a good node, or
 * its isolation fails): under the PTL, the PTE gets the VMA's protection back, young, and
 * writable where can_change_pte_writable() allows it, for an exclusive anonymous folio in
 * a writable VMA (6a56ccbcf6c6, v6.2; the model keeps no soft-dirty bit, so worlds with
 * clear_refs have no NUMA balancing). An upgrade: no flush.
 */
export function do_numa_page(d: Draft<State>, mm: number, vpage: number): void {
  const pte = d.mms[mm]!.pte[vpage]!;
  if (pte.kind !== 'present' || !pte.protnone) return;
  delete pte.protnone;
  pte.accessed = true;
  pte.writable = d.mms[mm]!.vma[vpage] === 'rw' && anonExclusive(d.frames[pte.frame]!.owner);
}

/**
 * wp_page_copy(), first half: a write fault on a folio fork() shared. Outside the PTL, a
 * new folio is allocated and the old one copied into it; it backs no page until the second
 * half installs it.
 */
export function wp_page_copy_user(
  d: Draft<State>,
  cpu: number,
  vpage: number,
  src: number,
  dst: number,
): void {
  takeFree(d, dst);
  d.frames[dst] = {
    owner: { kind: 'unmapped' },
    data: d.frames[src]!.data,
    refcount: 1,
    dirty: false,
    migrc: false,
  };
  d.cpus[cpu]!.wp_copy = { vpage, src, dst };
}

/**
 * wp_page_copy(), second half, under the PTL: if the PTE still names the folio copied
 * (pte_same()), ptep_clear_flush() clears it and flushes every CPU of the mm, and only
 * then is the new PTE set, writable and dirty; the old folio loses this mapping. Else the
 * fault lost a race and the copy is freed; the access will fault again. The flush comes
 * before the new PTE ("This code used to set the new PTE then flush TLBs, but that left a
 * window where the new PTE could be loaded into some TLBs while the old PTE remains in
 * others", mm/memory.c), and `policy.wpCopyFlush` false leaves it out (a seeded bug).
 */
export function wp_page_copy(d: Draft<State>, policy: Policy, cpu: number): void {
  const c = d.cpus[cpu]!;
  const { vpage, src, dst, set } = c.wp_copy!;
  const mm = c.mm;
  if (set) {
    // 2.6.18's order, second step: the flush after the new PTE went in.
    delete c.wp_copy;
    flushOldPte(d, policy, cpu, mm, vpage);
    dropMapping(d, src, mm);
    folio_put(d, src);
    return;
  }
  const pte = d.mms[mm]!.pte[vpage]!;
  if (pte.kind !== 'present' || pte.frame !== src || pte.writable) {
    delete c.wp_copy;
    folio_put(d, dst);
    return;
  }
  if (policy.wpCopyFlush !== false && !policy.wpCopySetBeforeFlush) flushOldPte(d, policy, cpu, mm, vpage);
  d.frames[dst]!.owner = { kind: 'anon', mm, vpage };
  const anonCopy = d.mms[mm]!.anonCopy;
  if (anonCopy !== undefined && d.frames[src]!.owner.kind === 'file') {
    // A MAP_PRIVATE page stops reading the file: POSIX leaves unspecified whether such a
    // mapping sees later changes to the file, and Linux's sees them until this copy. The
    // copy was read outside the PTL, so what the page holds from here on is whatever the
    // file held when it was made, which a store to the file since may have changed.
    anonCopy[vpage] = true;
    d.ghost.memory[mm]![vpage] = d.frames[dst]!.data;
  }
  d.mms[mm]!.pte[vpage] = {
    kind: 'present',
    frame: dst,
    writable: d.mms[mm]!.vma[vpage] === 'rw',
    dirty: true,
    accessed: true,
  };
  if (policy.wpCopySetBeforeFlush) {
    c.wp_copy = { vpage, src, dst, set: true };
    return;
  }
  delete c.wp_copy;
  dropMapping(d, src, mm);
  folio_put(d, src);
}

/** flush_tlb_page() of the PTE wp_page_copy() replaces, on every CPU of the mm. */
function flushOldPte(d: Draft<State>, policy: Policy, cpu: number, mm: number, vpage: number): void {
  flushTlbMulti(d, policy.arch, {
    from: cpu,
    cpumask: d.mms[mm]!.mm_cpumask,
    scope: { kind: 'page', mm, vpage },
    broadcast: false,
  });
}

/**
 * migrc's hook at the top of do_wp_page() (seed 001): a folio with a read copy must not
 * become writable, nor be copied from, while a CPU may still read the copy, so a write
 * fault on a PG_migrc folio gives up deferring whether it reuses the folio or copies it.
 */
export function migrcWriteFault(d: Draft<State>, policy: Policy, cpu: number, frame: number): void {
  if (policy.migrc?.wpFaultFlush && d.frames[frame]!.migrc)
    migrc_unpend_folio(d, policy.arch, policy.migrc, cpu, frame);
}

/** do_wp_page(): the anonymous page is exclusive here, so it is reused and made writable. */
export function do_wp_page(d: Draft<State>, policy: Policy, cpu: number, mm: number, vpage: number): void {
  const pte = d.mms[mm]!.pte[vpage]!;
  if (pte.kind === 'present') {
    migrcWriteFault(d, policy, cpu, pte.frame);
    pte.writable = true;
    pte.dirty = true;
    pte.accessed = true;
    const f = d.frames[pte.frame]!;
    // wp_page_shared(): ->page_mkwrite() and folio_mark_dirty(), so writeback will find it.
    // (A VM_PFNMAP page has no folio to dirty: wp_pfn_shared().)
    if (f.owner.kind === 'file' && !pfnmapPage(d as State, vpage)) f.dirty = true;
    // wp_page_reuse() of a folio fork() once shared: it is exclusive again.
    // (Owners are replaced, never edited: engines share them between states.)
    if (f.owner.kind === 'anon' && f.owner.cowed) {
      const { cowed: _, ...exclusive } = f.owner;
      f.owner = exclusive;
    }
  }
}

/**
 * The shared file's page `index` in the page cache (filemap_get_folio()): `frame` if it is
 * the cached folio, else `frame` (free) becomes one, read from disk (filemap_read_folio()),
 * with the page cache's one reference.
 */
export function filemap_get_folio(d: Draft<State>, index: number, frame: number): void {
  if (d.frames[frame]!.owner.kind !== 'free') return;
  takeFree(d, frame);
  d.frames[frame] = {
    owner: { kind: 'file', file: MAPPED_FILE, index },
    data: d.disk![index]!,
    refcount: 1,
    dirty: false,
    migrc: false,
  };
}

/**
 * filemap_fault() and finish_fault() on a shared file page: the folio (`frame`, cached or
 * free) is mapped with one more reference. A read maps it read-only and clean, so the first
 * store takes a write fault (write-notify); a write (do_shared_fault()) marks the folio
 * dirty and maps it writable and dirty.
 */
export function filemap_fault(
  d: Draft<State>,
  mm: number,
  vpage: number,
  frame: number,
  write: boolean,
): void {
  filemap_get_folio(d, vpage, frame);
  const f = d.frames[frame]!;
  const o = f.owner;
  if (o.kind !== 'file') return;
  f.owner = { ...o, mapped: (o.mapped ?? 0) | (1 << mm) };
  if (pfnmapPage(d as State, vpage)) {
    // vmf_insert_pfn(): the driver's memory, no struct page to count or dirty, mapped with
    // the VMA's protection at once (no write-notify)
    const writable = d.mms[mm]!.vma[vpage] === 'rw';
    d.mms[mm]!.pte[vpage] = { kind: 'present', frame, writable, dirty: write, accessed: true };
    return;
  }
  f.refcount += 1;
  // A write to a MAP_PRIVATE mapping (do_cow_fault()) copies the page at once; the model
  // maps the page-cache folio read-only as a read would, and the store, run again, takes
  // the write fault that copies it (wp_page_copy()). That adds the interleavings of a read
  // fault followed by a write fault, both of which the program may make anyway.
  const sharedWrite = write && d.mms[mm]!.anonCopy === undefined;
  if (sharedWrite) f.dirty = true;
  const writable = sharedWrite && d.mms[mm]!.vma[vpage] === 'rw';
  d.mms[mm]!.pte[vpage] = { kind: 'present', frame, writable, dirty: sharedWrite, accessed: true };
}

/**
 * The last store to (mm, vpage) is `value`. In a sharedFile world the page is the file's,
 * which every mm sees at that vpage, unless the mm maps it MAP_PRIVATE: a store there
 * lands in the mm's own copy (the write fault made one first).
 */
export function recordStore(d: Draft<State>, mm: number, vpage: number, value: number): void {
  if (d.disk === undefined || d.mms[mm]!.anonCopy !== undefined) d.ghost.memory[mm]![vpage] = value;
  else recordFileStore(d, vpage, value);
  d.ghost.lazy[mm]![vpage] = false;
  // A store to a page mremap() is moving, through an entry not yet flushed, is the page's:
  // the user finds it at the new address.
  const to = mremapTarget(d as State, mm, vpage);
  if (to >= 0) {
    d.ghost.memory[mm]![to] = value;
    d.ghost.lazy[mm]![to] = false;
  }
}

/**
 * The last store to the file's page `index` is `value` (a MAP_SHARED mm's store, or
 * write(2) from any mm): every mm that reads the file there sees it, and a MAP_PRIVATE
 * mm whose page has its own copy does not.
 */
export function recordFileStore(d: Draft<State>, index: number, value: number): void {
  if (d.ghost.file !== undefined) d.ghost.file[index] = value;
  for (let mm = 0; mm < d.ghost.memory.length; mm++)
    if (readsFile(d as State, mm, index)) d.ghost.memory[mm]![index] = value;
}
