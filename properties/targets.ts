// Reachability targets ("sometimes" properties): states or steps a run must reach, so a
// protocol cannot pass because its race window was never opened.

import { type Config, pfnmapMask } from '../model/config.js';
import { pagesPerMm, tlbLookup } from '../model/hardware.js';
import { cowShared, fileFolio, mm_tlb_flush_pending, pfnmapPage, residentFrame } from '../model/queries.js';
import { NO_FRAME, type State } from '../model/state.js';
import { ownTlbState, seenTlbState } from '../model/store-buffer.js';
import { inSwitch } from '../model/switch.js';
import type { Variant } from '../model/variant.js';
import { removesMapping } from '../model/vmscan.js';
import type { Step } from './invariants.js';

export interface Target {
  readonly id: string;
  readonly why: string;
  readonly hit: (s: State, step?: Step) => boolean;
  /**
   * Can a run of this protocol reach it in this world at all? Absent: yes. The engines
   * evaluate a target on every transition until it is hit, so one that cannot be is left out.
   */
  readonly possible?: (variant: Variant, config: Config) => boolean;
}

/** Does `cpu` cache an entry for (its mm, or `mm`, vpage) that the page table no longer backs? */
function staleEntry(s: State, cpu: number, vpage: number, mm = s.cpus[cpu]!.mm): boolean {
  const entry = tlbLookup(s, cpu, mm, vpage);
  const pte = s.mms[mm]!.pte[vpage]!;
  return entry !== null && (pte.kind !== 'present' || pte.frame !== entry.frame);
}

/** Does any CPU cache an entry the page table no longer backs? (No allocation: the explorer
 * evaluates this on every transition until it is hit.) */
function anyStaleEntry(s: State): boolean {
  const pages = pagesPerMm(s);
  for (let cpu = 0; cpu < s.cpus.length; cpu++)
    for (let v = 0; v < pages; v++) if (staleEntry(s, cpu, v)) return true;
  return false;
}

/** Does `cpu` cache an entry of `mm` (default: the one it runs) that the page table no longer backs? */
function staleIn(s: State, cpu: number, mm?: number): boolean {
  for (let v = 0; v < pagesPerMm(s); v++) if (staleEntry(s, cpu, v, mm)) return true;
  return false;
}

function accessThroughStale(step: Step | undefined, op: 'load' | 'store'): boolean {
  if (step === undefined || step.action.op !== op) return false;
  return staleEntry(step.pre, step.action.cpu, step.action.vpage);
}

function residencyChange(s: State, step: Step | undefined, moved: boolean): boolean {
  if (step === undefined) return false;
  for (let mm = 0; mm < s.mms.length; mm++) {
    for (let vpage = 0; vpage < pagesPerMm(s); vpage++) {
      const before = residentFrame(step.pre, mm, vpage);
      const after = residentFrame(s, mm, vpage);
      if (before === NO_FRAME || before === after) continue;
      if (moved ? after !== NO_FRAME : after === NO_FRAME) return true;
    }
  }
  return false;
}

export const TARGETS: readonly Target[] = [
  {
    id: 'staleEntryWhileFlushDeferred',
    why: 'The window batching opens: a flush is pending and a CPU still caches an entry the page table no longer backs.',
    hit: (s) => s.tasks.some((t) => t.tlb_ubc.flush_required) && anyStaleEntry(s),
  },
  {
    id: 'loadThroughStaleEntry',
    why: 'A CPU reads through an entry whose PTE is gone or changed.',
    hit: (_s, step) => accessThroughStale(step, 'load'),
  },
  {
    id: 'storeThroughStaleEntry',
    why: 'A CPU writes through an entry whose PTE is gone or changed: the race the flush ordering must make harmless.',
    // A store that faulted dropped the entry; one that went through kept it.
    hit: (s, step) =>
      accessThroughStale(step, 'store') &&
      step!.action.op === 'store' &&
      tlbLookup(s, step!.action.cpu, s.cpus[step!.action.cpu]!.mm, step!.action.vpage) !== null,
  },
  {
    id: 'pageReclaimed',
    why: 'A reclaim batch ran to the end: a resident page now lives only in swap.',
    hit: (s, step) => residencyChange(s, step, false),
  },
  {
    id: 'pageMigrated',
    why: 'A migration ran to the end: a page moved to another frame.',
    hit: (s, step) => residencyChange(s, step, true),
  },
  {
    id: 'migrcSourceHeld',
    why: 'migrc skipped a flush: a source frame waits on a hung request while a CPU may still read it.',
    possible: (v) => v.policy.migrc !== null,
    hit: (s) => s.migrc.reqs.length > 0,
  },
  {
    id: 'migrcFlushedOnDemand',
    why: 'A later flush freed what migrc held: allocation ran short or a write fault hit a PG_migrc folio.',
    possible: (v) => v.policy.migrc !== null,
    hit: (s, step) => step !== undefined && step.pre.migrc.reqs.length > 0 && s.migrc.reqs.length === 0,
  },
  {
    id: 'copyFailureUndone',
    why: 'A batch copy failed and the migration of that folio was undone: the path a protocol with a separate copy step must survive.',
    hit: (_s, step) => step?.action.op === 'copyFails',
  },
  {
    id: 'staleEntryWhileSwitching',
    why: 'With PCID, a CPU inside switch_mm_irqs_off(), past its tlb_gen read, kept an entry of the mm it is loading that the page table no longer backs: the window a flush of that mm must not skip.',
    possible: (_v, c) => c.pcid === true,
    hit: (s) => s.cpus.some((_, i) => inSwitch(s, i) && staleIn(s, i)),
  },
  {
    id: 'staleEntryWhileLazy',
    why: 'With PCID, a lazy CPU (a kernel thread borrowing the mm) was skipped by a flush and caches an entry the page table no longer backs; it must flush before user code runs there again.',
    possible: (_v, c) => c.pcid === true,
    hit: (s) => s.cpus.some((c, i) => c.lazy === true && staleIn(s, i)),
  },
  {
    id: 'staleEntryInOtherAsid',
    why: 'With PCID, a CPU keeps an entry of an mm it does not run that the page table no longer backs; tlb_gen must make it flush when it switches back.',
    possible: (_v, c) => c.pcid === true,
    hit: (s) =>
      s.cpus.some((c, i) => {
        for (let mm = 0; mm < s.mms.length; mm++) if (mm !== c.mm && staleIn(s, i, mm)) return true;
        return false;
      }),
  },
  {
    id: 'pageSharedCopyOnWrite',
    why: 'fork() shared a folio between parent and child: a write fault in either must copy it.',
    hit: (s) => s.frames.some((f) => cowShared(f.owner)),
  },
  {
    id: 'copyOnWriteWhileCached',
    why: 'A thread is inside wp_page_copy(), its copy made, while another CPU of the mm still caches the folio copied: the window the flush of the old PTE closes.',
    hit: (s) =>
      s.cpus.some((c, i) => {
        const copy = c.wp_copy;
        if (copy === undefined) return false;
        return s.cpus.some(
          (o, j) => j !== i && tlbLookup(s, j, c.mm, copy.vpage)?.frame === copy.src && o.mm === c.mm,
        );
      }),
  },
  {
    id: 'dirtyFilePteZapped',
    why: 'munmap() or madvise() cleared a dirty PTE of a shared file page: its dirtiness passes to the folio, and folio_mkclean() must not clean the folio while a CPU can still write it through the entry.',
    possible: (_v, c) => c.sharedFile === true,
    hit: (s) =>
      s.tasks.some((t) =>
        t.folios.some((f, i) => {
          if (i > t.pc.folio || f.src < 0 || s.mms[f.mm]!.pte[f.vpage]!.kind !== 'none') return false;
          const folio = s.frames[f.src]!;
          return (
            folio.owner.kind === 'file' && folio.dirty && (t.tlb_ubc.flush_required || f.forceFlush === true)
          );
        }),
      ),
  },
  {
    id: 'writebackOfCachedFilePage',
    why: 'The flusher cleaned a shared file page some CPU caches writable: folio_mkclean() must take that entry away, or a store through it lands in a folio the kernel believes clean.',
    possible: (_v, c) => c.sharedFile === true,
    hit: (_s, step) => {
      if (step?.action.op !== 'writeback') return false;
      const index = step.action.index;
      const pre = step.pre;
      return pre.cpus.some((c, cpu) => {
        const e = tlbLookup(pre, cpu, c.mm, index);
        return e?.writable === true && fileFolio(pre.frames[e.frame]!.owner, index);
      });
    },
  },
  {
    id: 'deviceMemoryFreedDuringMunmap',
    why: "A driver revoked a device's VM_PFNMAP page and freed the memory while a munmap() of it was still running, its PTE zapped and its flush perhaps still to come: CVE-2022-39188's moment. munmap() must have flushed before free_pgtables() unlinked the VMA, or a CPU still caches the freed memory.",
    possible: (_v, c) => pfnmapMask(c) !== 0,
    hit: (s, step) => {
      if (step?.action.op !== 'kernelStep') return false;
      const driver = step.pre.tasks[step.action.task]!;
      const index = driver.folios[0]?.vpage;
      if (driver.job !== 'punch_hole' || index === undefined || !pfnmapPage(s, index)) return false;
      const freed = s.frames.some(
        (f, i) => f.owner.kind === 'free' && step.pre.frames[i]!.owner.kind !== 'free',
      );
      return freed && s.tasks.some((t) => t.job === 'munmap' && t.folios.some((f) => f.vpage === index));
    },
  },
  {
    id: 'privatePageDiverged',
    why: 'A MAP_PRIVATE page has its own copy and holds other contents than the file: stores to the file must no longer reach it, nor its stores the file, while a CPU of the mm may still cache the page-cache folio.',
    possible: (_v, c) => c.mapPrivate !== undefined,
    hit: (s) =>
      s.mms.some((mm, m) => mm.anonCopy?.some((own, v) => own && s.ghost.memory[m]![v] !== s.ghost.file![v])),
  },
  {
    id: 'deferralInsideBatchedPending',
    why: 'Reclaim deferred a flush while a system call was between the flush and the reset of its flush_tlb_batched_pending(): the window a bool tlb_flush_batched loses a flush in.',
    possible: (v) => v.policy.batchedPendingWindow !== undefined,
    hit: (s) => s.tasks.some((t) => t.batched_clear === 2),
  },
  {
    id: 'flushWhileSwitchStoreBuffered',
    why: "With x86's store buffer (tso), a flush ran while another CPU's store to its loaded_mm or is_lazy was still buffered, so should_flush_tlb() read the value from before it: the moment CVE-2025-40174's race needs, which 83b0177a6c48's barrier must make harmless.",
    possible: (_v, c) => c.tso === true,
    hit: (s, step) => {
      if (step === undefined || step.action.op !== 'kernelStep') return false;
      const { task } = step.action;
      // the step flushed: it emptied the task's record of the flush it owed
      if (!step.pre.tasks[task]!.tlb_ubc.flush_required || s.tasks[task]!.tlb_ubc.flush_required)
        return false;
      const cpu = step.pre.tasks[task]!.cpu;
      return step.pre.cpus.some((c, i) => {
        if (i === cpu || c.sb === undefined || c.sb.length === 0) return false;
        const seen = seenTlbState(step.pre, i);
        const own = ownTlbState(c);
        return seen.lazy !== own.lazy || seen.loadedMm !== own.loadedMm;
      });
    },
  },
  {
    id: 'hintingFaultBeforeFlush',
    why: 'A NUMA hinting fault started a migration while change_prot_numa() had not flushed yet and another CPU still cached the page: the migration must flush that entry itself (pte_accessible() with mm_tlb_flush_pending()).',
    possible: (_v, c) => c.syscalls?.includes('numa') === true,
    hit: (_s, step) => {
      if (step === undefined || step.action.op !== 'migrate_misplaced_folio') return false;
      const mm = step.pre.cpus[step.pre.tasks[step.action.task]!.cpu]!.mm;
      const vpage = step.action.vpage;
      if (!mm_tlb_flush_pending(step.pre, mm)) return false;
      return step.pre.cpus.some((_, cpu) => tlbLookup(step.pre, cpu, mm, vpage) !== null);
    },
  },
  {
    id: 'pinnedFolioKept',
    why: 'A migration or reclaim gave up a folio a long-term pin holds (folio_try_share_anon_rmap_pte() refusing it, or the refcount failing the move): the device writing through the pin must keep writing the page.',
    possible: (_v, c) => c.syscalls?.includes('pin') === true,
    hit: (s, step) => {
      if (step === undefined || step.action.op !== 'kernelStep') return false;
      const before = step.pre.tasks[step.action.task]!;
      if (before.job !== 'migrate' && before.job !== 'reclaim') return false;
      const f = before.folios[before.pc.folio];
      if (f === undefined || f.failed || step.pre.frames[f.src]?.pinned === undefined) return false;
      // this step gave the folio up (or ended the batch with it), and the page still maps it
      const after = s.tasks[step.action.task]!;
      const gaveUp = after.job === 'idle' || after.folios[before.pc.folio]?.failed === true;
      const pte = s.mms[f.mm]!.pte[f.vpage]!;
      return gaveUp && pte.kind === 'present' && pte.frame === f.src;
    },
  },
  {
    id: 'cachedPageMoved',
    why: "mremap()'s move_ptes() moved a present PTE while a CPU cached an entry for the old address: that entry must be flushed before reclaim or migration, finding the folio at its new address, can free it.",
    possible: (_v, c) => c.syscalls?.includes('mremap') === true,
    hit: (s, step) => {
      if (step === undefined || step.action.op !== 'kernelStep') return false;
      const t = step.pre.tasks[step.action.task]!;
      if (t.job !== 'mremap') return false;
      const { mm, vpage } = t.folios[0]!;
      if (step.pre.mms[mm]!.pte[vpage]!.kind !== 'present' || s.mms[mm]!.pte[vpage]!.kind !== 'none')
        return false;
      return step.pre.cpus.some((_, cpu) => tlbLookup(step.pre, cpu, mm, vpage) !== null);
    },
  },
  {
    id: 'refaultWhileFlushDeferred',
    why: "A fault maps a page into a new frame while a reclaim batch still owes the flush of another CPU's entry to its old one: the window between __remove_mapping() and try_to_unmap_flush().",
    possible: (v) => v.policy.reclaim !== null && removesMapping(v.policy.reclaim),
    hit: (s, step) => {
      if (step === undefined || (step.action.op !== 'load' && step.action.op !== 'store')) return false;
      const { cpu, vpage } = step.action;
      const mm = s.cpus[cpu]!.mm;
      const was = step.pre.mms[mm]!.pte[vpage]!;
      const now = s.mms[mm]!.pte[vpage]!;
      if (was.kind !== 'none' || now.kind !== 'present') return false;
      if (!s.tasks.some((t) => t.job === 'reclaim' && t.tlb_ubc.flush_required)) return false;
      for (let other = 0; other < s.cpus.length; other++) {
        const entry = tlbLookup(s, other, mm, vpage);
        if (entry !== null && entry.frame !== now.frame) return true;
      }
      return false;
    },
  },
];

export function findTarget(id: string): Target | undefined {
  return TARGETS.find((t) => t.id === id);
}

/** The targets a run of `variant` in `config` can reach (`Target.possible`), in TARGETS' order. */
export const possibleTargets = (variant: Variant, config: Config): readonly Target[] =>
  TARGETS.filter((t) => t.possible?.(variant, config) ?? true);
