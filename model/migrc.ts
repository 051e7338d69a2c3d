// migrc (Byungchul Park, "mm: Defer TLB flush by keeping both src and dst folios at
// migration", v3, seed 001): a folio whose every mapping is read-only is migrated without
// a flush. Its source stays alive (an extra reference, PG_migrc) on a request hung on the
// node, with the CPUs that may still cache it and a generation; a later flush (allocation
// under pressure, or a write fault on the destination) flushes those CPUs, skipping any
// that did a full local flush since, and frees the sources.

import type { Draft } from 'immer';
import { folio_put } from './folio.js';
import { bit } from './hardware.js';
import { before, migrc_gen_inc, normaliseGens } from './migrc-gen.js';
import { mm_tlb_flush_pending } from './queries.js';
import type { BatchFolio, State, TlbUbc } from './state.js';
import { emptyTlbUbc } from './state.js';
import { flushTlbMulti } from './tlbflush.js';
import type { Arch, MigrcPolicy } from './variant-schema.js';

/**
 * mm_tlb_flush_pending() of every mm whose mapping of the folio try_to_migrate() just
 * replaced: the mm that started the batch, and for a folio fork() shared, or a shared
 * file's, every mm now holding a migration entry to it.
 */
function flushPendingOnAnyMapping(s: State, folio: BatchFolio, fork: boolean): boolean {
  if (mm_tlb_flush_pending(s, folio.mm, fork)) return true;
  for (let mm = 0; mm < s.mms.length; mm++) {
    const pte = s.mms[mm]!.pte[folio.vpage]!;
    if (pte.kind === 'migration' && pte.frame === folio.src && mm_tlb_flush_pending(s, mm, fork)) return true;
  }
  return false;
}

/** Both batches' flushes in one (a new object: the empty one is shared and frozen). */
const fold = (into: TlbUbc, from: TlbUbc): TlbUbc => ({
  cpumask: into.cpumask | from.cpumask,
  flush_required: into.flush_required || from.flush_required,
  writable: into.writable || from.writable,
});

/** migrc_req_start(): the batch starts building a request. */
export function migrc_req_start(d: Draft<State>, task: number): void {
  d.tasks[task]!.mreq = { cpumask: 0, gen: 0, srcs: [] };
}

/**
 * Right after try_to_migrate_one(): a folio with some read-only mapping deferred, and not
 * already under migrc, is marked (src and dst PG_migrc, src referenced) and its read-only
 * flush moves to the request; any other folio's read-only flush folds back into tlb_ubc
 * (fold_ubc_nowr()). A folio mapped writable has nothing deferred here: unmapOne() put its
 * flush in tlb_ubc (migrc_cond2), unless the policy defers writable mappings too.
 */
export function migrc_mark_folios(d: Draft<State>, p: MigrcPolicy, task: number, folio: BatchFolio): void {
  const t = d.tasks[task]!;
  const mark =
    t.mreq !== null &&
    t.tlb_ubc_nowr.flush_required &&
    folio.migrcRefused !== true &&
    (!p.checkFlushPending || !flushPendingOnAnyMapping(d as State, folio, p.forkFlushPending)) &&
    !d.frames[folio.src]!.migrc;
  if (folio.migrcRefused) delete t.folios[t.pc.folio]!.migrcRefused;
  if (mark) {
    if (p.keepSrc) d.frames[folio.src]!.refcount += 1;
    d.frames[folio.src]!.migrc = true;
    d.frames[folio.dst]!.migrc = true;
    t.mreq!.cpumask |= t.tlb_ubc_nowr.cpumask;
    t.folios[t.pc.folio]!.marked = true;
  } else t.tlb_ubc = fold(t.tlb_ubc, t.tlb_ubc_nowr);
  t.tlb_ubc_nowr = emptyTlbUbc;
}

/**
 * migrc_undo_folios(): the folio is not migrated after all; if migrc marked it, clear
 * PG_migrc on src and dst and drop the extra reference on src. ("TLB flushes needed are
 * already done at this moment": src is mapped again, so an entry still cached for it is
 * right, and it goes with the next flush of the mm.)
 */
export function migrc_undo_folios(d: Draft<State>, p: MigrcPolicy, folio: BatchFolio): void {
  if (!migrcMarked(d as State, p, folio)) return;
  d.frames[folio.src]!.migrc = false;
  d.frames[folio.dst]!.migrc = false;
  if (p.keepSrc) d.frames[folio.src]!.refcount -= 1;
}

/**
 * Did migrc mark this pair? As the batch remembers it (rememberMarked), or as v3's
 * migrc_marked_folios() reads it back from both page flags.
 */
function migrcMarked(s: State, p: MigrcPolicy, folio: BatchFolio): boolean {
  return p.rememberMarked ? folio.marked === true : s.frames[folio.src]!.migrc && s.frames[folio.dst]!.migrc;
}

/** migrc_unmap_done(): stamp the request once every folio is unmapped, before the flush. */
export function migrc_unmap_done(d: Draft<State>, p: MigrcPolicy | null, task: number): void {
  const t = d.tasks[task]!;
  if (t.mreq === null) return;
  t.mreq.gen = migrc_gen_inc(d, p);
  normaliseGens(d, p);
}

/**
 * migrc_expand_req(): a marked source joins the request; it backs no page any more. With
 * no request (migrc_stop_pending() ended it mid-batch) v3 returns and the marking stays;
 * undoWithoutRequest undoes it, so src goes back to the allocator with the batch.
 */
export function migrc_expand_req(d: Draft<State>, p: MigrcPolicy, task: number, folio: BatchFolio): void {
  const t = d.tasks[task]!;
  const src = d.frames[folio.src]!;
  if (t.mreq === null && p.undoWithoutRequest) {
    migrc_undo_folios(d, p, folio);
    if (p.rememberMarked) delete t.folios[t.pc.folio]!.marked;
    return;
  }
  if (t.mreq === null || !p.keepSrc || !migrcMarked(d as State, p, folio)) return;
  t.mreq.srcs.push(folio.src);
  src.owner = { kind: 'unmapped' };
}

/** migrc_req_end(): hang the request on the node, where any flush can find it. */
export function migrc_req_end(d: Draft<State>, p: MigrcPolicy | null, task: number): void {
  const t = d.tasks[task]!;
  if (t.mreq !== null && t.mreq.srcs.length > 0) d.migrc.reqs.push({ ...t.mreq, srcs: [...t.mreq.srcs] });
  t.mreq = null;
  normaliseGens(d, p);
}

/**
 * The test at the top of each folio of migrate_pages_batch(), once migrc_stop_pending() is
 * in force: the batch stops deferring (migrc_cond1 = false), ends its request and flushes
 * and frees what is hung on the node (migrc_try_flush_free_folios(NULL)). No folio has
 * joined the request yet (that happens after the copy), so migrc_req_end_if_started()
 * frees it, and with it the flush of every folio already marked: those stay PG_migrc with
 * their extra reference (until migrc_expand_req(), undoWithoutRequest), their CPUs in no
 * request and not in tlb_ubc (stopKeepsFlush).
 */
export function migrc_stop_in_batch(d: Draft<State>, arch: Arch, p: MigrcPolicy, task: number): void {
  const t = d.tasks[task]!;
  if (p.stopKeepsFlush && t.mreq !== null && t.mreq.cpumask !== 0)
    t.tlb_ubc = fold(t.tlb_ubc, { cpumask: t.mreq.cpumask, flush_required: true, writable: false });
  migrc_req_end(d, p, task);
  migrc_try_flush_free_folios(d, arch, p, t.cpu);
}

/**
 * Frames migrc holds that one flush would free: its sources with no reference but migrc's
 * (one that leaked a second reference stays allocated after the flush).
 */
export function migrcPending(s: State): number {
  let n = 0;
  for (const r of s.migrc.reqs) for (const f of r.srcs) if (s.frames[f]!.refcount === 1) n += 1;
  return n;
}

/**
 * A PG_migrc folio is about to be written (a write fault, or the kernel through the direct
 * map) while a CPU may still read its old copy: give up deferring, migrc_unpend_folio()
 * and flush now.
 */
export function migrc_unpend_folio(
  d: Draft<State>,
  arch: Arch,
  p: MigrcPolicy,
  cpu: number,
  frame: number,
): void {
  d.frames[frame]!.migrc = false;
  migrc_try_flush_free_folios(d, arch, p, cpu);
}

/**
 * migrc_try_flush_free_folios(): gather every hung request, drop CPUs that flushed since
 * (arch_migrc_adj()), flush the rest from `cpu`, and free the sources.
 */
export function migrc_try_flush_free_folios(d: Draft<State>, arch: Arch, p: MigrcPolicy, cpu: number): void {
  let mask = 0;
  const srcs: number[] = [];
  for (const r of d.migrc.reqs) {
    let m = r.cpumask;
    if (p.skipFlushedCpus)
      d.cpus.forEach((c, i) => {
        if (!before(d as State, p, c.migrc_done, r.gen)) m &= ~bit(i);
      });
    mask |= m;
    srcs.push(...r.srcs);
  }
  if (p.flushInFlight) for (const t of d.tasks) if (t.mreq !== null) mask |= t.mreq.cpumask;
  // with nothing hung and nothing in flight, the mask is empty: no CPU is flushed, nothing freed
  flushTlbMulti(d, arch, { from: cpu, cpumask: mask, scope: { kind: 'all' }, broadcast: false });
  for (const f of srcs) folio_put(d, f);
  d.migrc.reqs = [];
  normaliseGens(d, p);
}
