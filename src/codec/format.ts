// How actions and state changes read in reports: kernel names for kernel steps, and only
// what a step changed. Pure functions of (pre, action, post).

import { match } from 'ts-pattern';
import { type Action, type ArgKind, argsOf } from '../../model/action-table.js';
import { type AccessOutcome, accessOutcome } from '../../model/fault.js';
import { pagesPerMm } from '../../model/hardware.js';
import { pfnmapPage } from '../../model/queries.js';
import {
  FOREIGN_FILE,
  type Frame,
  type MigrcReq,
  type Pte,
  type State,
  type Syscall,
  type TlbEntry,
  type TlbUbc,
} from '../../model/state.js';
import { oldestStoreText, seenTlbState } from '../../model/store-buffer.js';
import { SYSCALL_TABLE } from '../../model/syscall-table.js';
import { currentFolio, currentStep } from '../../model/task.js';
import type { Variant } from '../../model/variant.js';

const pages = (vpages: readonly number[]) => vpages.map((v) => `p${v}`).join(',');

/** How a report writes an argument of each kind. */
const ARG_TEXT: { readonly [K in ArgKind]: (x: never) => string } = {
  cpu: (x: number) => `cpu ${x}`,
  mm: (x: number) => `mm ${x}`,
  task: (x: number) => `task ${x}`,
  vpage: (x: number) => `p${x}`,
  index: (x: number) => `p${x}`,
  frame: (x: number) => `f${x}`,
  value: (x: number) => `${x}`,
  vpages: (x: readonly number[]) => pages(x),
  call: (x: Syscall) => x,
};

/** The action alone, as fast-check prints a command: `store(cpu 0, p1, 2)`. */
export function describeAction(a: Action): string {
  const args = argsOf(a).map(([, kind, value]) => (ARG_TEXT[kind] as (x: unknown) => string)(value));
  return `${a.op}(${args.join(', ')})`;
}

/** The system call as the user wrote it. */
const callText = (call: Syscall, vpages: readonly number[]): string =>
  SYSCALL_TABLE[call].text(pages(vpages));

/**
 * Which report column a step belongs in: the CPU it runs on (its own, or its task's), or
 * null for the kernel column (steps no CPU of the world takes).
 */
export function stepColumn(pre: State, a: Action): number | null {
  if ('cpu' in a) return a.cpu;
  if ('task' in a) return pre.tasks[a.task]!.cpu;
  return null;
}

function outcomeText(o: AccessOutcome): string {
  return match(o)
    .with({ kind: 'hit' }, (x) => `TLB hit f${x.frame}`)
    .with({ kind: 'setDirty' }, (x) => `walk sets D, f${x.frame}`)
    .with({ kind: 'noTrapWrite' }, (x) => `no trap! f${x.frame}`)
    .with({ kind: 'walk' }, (x) => `walk f${x.frame}`)
    .with({ kind: 'fault' }, (x) => `#PF ${x.handler}`)
    .with({ kind: 'wait' }, (x) => x.on)
    .with({ kind: 'segv' }, () => 'SIGSEGV')
    .exhaustive();
}

/** The step as a reviewer reads it: kernel function names, what a load returned. */
export function describeStep(variant: Variant, pre: State, a: Action): string {
  return match(a)
    .with({ op: 'load' }, (x) => {
      const o = accessOutcome(variant.policy.arch, pre, x.cpu, x.vpage, false, variant.policy);
      const value = o.kind === 'hit' || o.kind === 'walk' ? ` = ${pre.frames[o.frame]!.data}` : '';
      return `load p${x.vpage}${value} (${outcomeText(o)})`;
    })
    .with({ op: 'store' }, (x) => {
      const o = accessOutcome(variant.policy.arch, pre, x.cpu, x.vpage, true, variant.policy);
      const copy = o.kind === 'fault' && o.handler === 'wp_page_copy' ? `: copies into f${o.frame}` : '';
      return `store p${x.vpage} := ${x.value} (${outcomeText(o)}${copy})`;
    })
    .with({ op: 'tlbEvict' }, (x) => `TLB evicts p${x.vpage}`)
    .with({ op: 'reuseFrame' }, (x) => `alloc_pages hands f${x.frame} to the page cache`)
    .with({ op: 'migrate_pages' }, (x) => `migrate_pages(${pages(x.vpages)})`)
    .with({ op: 'migrate_misplaced_folio' }, (x) => `#PF do_numa_page(p${x.vpage}): migrate_misplaced_folio`)
    .with({ op: 'shrink_folio_list' }, (x) => `shrink_folio_list(${pages(x.vpages)})`)
    .with({ op: 'syscall' }, (x) =>
      // (in a VM_PFNMAP world the hole is the driver revoking its memory)
      x.call === 'punch_hole' && pfnmapPage(pre, x.vpages[0]!)
        ? `driver revokes ${pages(x.vpages)}: unmap_mapping_range(), then frees it`
        : callText(x.call, x.vpages),
    )
    .with({ op: 'mmap' }, (x) =>
      pre.disk === undefined
        ? `mmap(${pages(x.vpages)}, MAP_ANONYMOUS)`
        : `mmap(${pages(x.vpages)}, ${pre.mms[x.mm]!.anonCopy === undefined ? 'MAP_SHARED' : 'MAP_PRIVATE'}, fd)`,
    )
    .with({ op: 'flush_tlb_local' }, () => 'context switch: flush_tlb_local()')
    .with({ op: 'switch_mm' }, (x) =>
      pre.cpus[x.cpu]!.lazy && pre.cpus[x.cpu]!.mm === x.mm
        ? `switch_mm_irqs_off(mm ${x.mm}): leaves lazy mode`
        : `switch_mm_irqs_off(mm ${pre.cpus[x.cpu]!.mm} -> mm ${x.mm})`,
    )
    .with({ op: 'load_new_mm_cr3' }, () => 'loaded_mm = LOADED_MM_SWITCHING; load_new_mm_cr3()')
    .with({ op: 'set_loaded_mm' }, (x) => `loaded_mm = mm ${pre.cpus[x.cpu]!.mm}`)
    .with({ op: 'enter_lazy_tlb' }, () => 'kernel thread: enter_lazy_tlb()')
    .with({ op: 'drain_store_buffer' }, (x) => `store buffer drains: ${oldestStoreText(pre, x.cpu)}`)
    .with({ op: 'migrc_stop_pending' }, () => '__alloc_pages_slowpath(): migrc_stop_pending()')
    .with({ op: 'migrc_resume_pending' }, () => 'got_pg: migrc_resume_pending()')
    .with({ op: 'kernelStep' }, (x) => {
      const task = pre.tasks[x.task]!;
      const step = currentStep(variant.policy, task) ?? '(idle)';
      const folio = currentFolio(variant.policy, task);
      if (folio?.undoing) return `migrate_folio_undo_src(p${folio.vpage}): remove_migration_ptes(src, src)`;
      return folio === null ? step : `${step}(p${folio.vpage})`;
    })
    .with({ op: 'write' }, (x) => {
      if (pre.disk !== undefined) return `write(fd, p${x.vpage} := ${x.value}): page cache`;
      const mm = pre.cpus[pre.tasks[x.task]!.cpu]!.mm;
      const pte = pre.mms[mm]!.pte[x.vpage]!;
      const frame = pte.kind === 'present' ? ` (direct map f${pte.frame})` : '';
      return `write(p${x.vpage} := ${x.value})${frame}`;
    })
    .with({ op: 'dma_write' }, (x) => {
      const pin = pre.frames[x.frame]?.pinned;
      return `device DMA writes f${x.frame} := ${x.value}${pin === undefined ? '' : ` (pinned p${pin.vpage})`}`;
    })
    .with({ op: 'copyFails' }, (x) => {
      const folio = currentFolio(variant.policy, pre.tasks[x.task]!);
      const step = currentStep(variant.policy, pre.tasks[x.task]!) ?? 'folio_mc_copy';
      return `${step}(p${folio?.vpage}) fails: migrate_folio_undo_src/dst`;
    })
    .with({ op: 'wp_page_copy' }, (x) => {
      const copy = pre.cpus[x.cpu]!.wp_copy;
      if (copy === undefined) return 'wp_page_copy()';
      if (copy.set) return `wp_page_copy(p${copy.vpage}): flush_tlb_page`;
      const p = variant.policy;
      const flush =
        p.wpCopyFlush === false || p.wpCopySetBeforeFlush ? 'set_pte_at' : 'ptep_clear_flush; set_pte_at';
      return `wp_page_copy(p${copy.vpage}): ${flush} f${copy.dst}`;
    })
    .with({ op: 'writeback' }, (x) => {
      const clean = variant.policy.mkcleanFlush === false ? 'folio_mkclean, no flush' : 'folio_mkclean';
      return `writeback p${x.index}: folio_clear_dirty_for_io (${clean}), write to disk`;
    })
    .with({ op: 'remove_mapping' }, (x) => `shrink_folio_list: __remove_mapping(p${x.index})`)
    .exhaustive();
}

/** A PTE as the reports write it: `f2 rw D A`, `f2 PROT_NONE A`, `migration f0 rw D`, `none`. */
export const pteText = (p: Pte): string =>
  match(p)
    .with({ kind: 'none' }, () => 'none')
    .with(
      { kind: 'present' },
      (x) =>
        `f${x.frame} ${x.protnone ? 'PROT_NONE' : x.writable ? 'rw' : 'ro'}${x.dirty ? ' D' : ''}${x.accessed ? ' A' : ''}`,
    )
    .with(
      { kind: 'migration' },
      (x) => `migration f${x.frame}${x.writable ? ' rw' : ''}${x.dirty ? ' D' : ''}`,
    )
    .exhaustive();

/** A TLB entry: `f0 rw D`, or `-` for none. */
export const tlbText = (e: TlbEntry | null): string =>
  e === null ? '-' : `f${e.frame} ${e.writable ? 'rw' : 'ro'}${e.dirty ? ' D' : ''}`;

/** A frame: its owner, contents and flags, `p0 =1 PG_dirty`. */
export const frameText = (f: Frame): string => {
  const who = match(f.owner)
    .with({ kind: 'free' }, () => 'free')
    .with({ kind: 'anon' }, (o) => {
      const own = o.mm === 0 ? `p${o.vpage}` : `mm${o.mm}:p${o.vpage}`;
      const also = bits(o.shared ?? 0);
      if (also.length > 0) return `${own} COW with mm${also.join(',mm')}`;
      return o.cowed ? `${own} (not exclusive)` : own;
    })
    .with({ kind: 'file' }, (o) => {
      if (o.file === FOREIGN_FILE) return 'page cache';
      const by = bits(o.mapped ?? 0);
      return `file p${o.index}${by.length > 0 ? ` mapped by mm${by.join(',mm')}` : ' (unmapped)'}`;
    })
    .with({ kind: 'unmapped' }, () => 'unmapped')
    .exhaustive();
  const pin =
    f.pinned === undefined
      ? ''
      : ` pinned for ${f.pinned.mm === 0 ? '' : `mm${f.pinned.mm}:`}p${f.pinned.vpage}`;
  return `${who} =${f.data}${f.dirty ? ' PG_dirty' : ''}${f.migrc ? ' PG_migrc' : ''}${f.lazyfree ? ' lazyfree' : ''}${pin}`;
};

/** A cpumask as a set, `{0,1}`. */
export const cpuSet = (mask: number): string => `{${bits(mask).join(',')}}`;

/** The bits set in a mask, lowest first. */
function bits(mask: number): number[] {
  const list: number[] = [];
  for (let i = 0; 1 << i <= mask; i++) if (mask & (1 << i)) list.push(i);
  return list;
}

/** A tlb_ubc: the CPUs it will flush, or `empty`. */
export const ubcText = (u: TlbUbc): string =>
  u.flush_required ? `cpus ${cpuSet(u.cpumask)}${u.writable ? ' writable' : ''}` : 'empty';

const reqs = (rs: readonly MigrcReq[]): string =>
  rs
    .map((r) => `[cpus ${cpuSet(r.cpumask)} gen ${r.gen} src ${r.srcs.map((f) => `f${f}`).join(',')}]`)
    .join(' ');

/** cpu_tlbstate.loaded_mm and is_lazy, as a report writes them. */
const loadedText = (c: State['cpus'][number]): string =>
  c.switching ? 'LOADED_MM_SWITCHING' : `mm ${c.loaded_mm ?? c.mm}${c.lazy ? ' (lazy)' : ''}`;

/** The same as other CPUs read it while stores wait in the CPU's store buffer (Config.tso). */
function seenText(s: State, cpu: number): string {
  const seen = seenTlbState(s, cpu);
  return seen.loadedMm === undefined
    ? 'LOADED_MM_SWITCHING'
    : `mm ${seen.loadedMm}${seen.lazy ? ' (lazy)' : ''}`;
}

/** The folios a task holds a reference to and has not isolated yet, as a report names them. */
const unisolatedText = (t: State['tasks'][number]): string =>
  t.folios
    .filter((f) => f.unisolated === true)
    .map((f) => `f${f.src}`)
    .join(', ');

/** What changed from pre to post, one short phrase per changed piece of state. */
export function describeChanges(pre: State, post: State): string[] {
  const out: string[] = [];
  const nPages = pagesPerMm(pre);
  const pageName = (mm: number, v: number) => (pre.mms.length > 1 ? `mm${mm}:p${v}` : `p${v}`);
  post.mms.forEach((mm, m) => {
    mm.pte.forEach((p, v) => {
      const before = pteText(pre.mms[m]!.pte[v]!);
      const after = pteText(p);
      if (before !== after) out.push(`pte ${pageName(m, v)}: ${after}`);
    });
    mm.swap.forEach((x, v) => {
      if (x !== pre.mms[m]!.swap[v]) out.push(`swap ${pageName(m, v)} =${x}`);
    });
    mm.vma.forEach((x, v) => {
      if (x !== pre.mms[m]!.vma[v]) out.push(`vma ${pageName(m, v)}: ${x}`);
    });
    if (mm.tlb_flush_batched !== pre.mms[m]!.tlb_flush_batched)
      out.push(`${pre.mms.length > 1 ? `mm${m} ` : ''}tlb_flush_batched = ${mm.tlb_flush_batched}`);
  });
  post.cpus.forEach((cpu, c) => {
    cpu.tlb.forEach((e, slot) => {
      const before = tlbText(pre.cpus[c]!.tlb[slot] ?? null);
      const after = tlbText(e);
      if (before !== after)
        out.push(`tlb${c} ${pageName(Math.floor(slot / nPages), slot % nPages)}: ${after}`);
    });
  });
  post.cpus.forEach((cpu, c) => {
    const was = pre.cpus[c]!;
    if (cpu.mm !== was.mm) out.push(`cr3${c}: mm ${cpu.mm}`);
    if (cpu.wp_copy !== undefined && was.wp_copy === undefined)
      out.push(`cpu${c} in wp_page_copy: f${cpu.wp_copy.src} copied to f${cpu.wp_copy.dst}`);
    const loaded = loadedText(cpu);
    if (loaded !== loadedText(was)) out.push(`loaded_mm${c}: ${loaded}`);
    if (cpu.sb !== undefined && (cpu.sb.length !== was.sb!.length || loaded !== loadedText(was))) {
      const seen = seenText(post, c);
      if (seen !== loaded) out.push(`others still read loaded_mm${c}: ${seen} (store buffer)`);
    }
    cpu.tlb_gen_lag?.forEach((lag, m) => {
      if (lag !== was.tlb_gen_lag![m])
        out.push(
          `tlb_gen${c} ${pre.mms.length > 1 ? `mm${m} ` : ''}${lag === 0 ? 'current' : `behind by ${lag === 1 ? '1' : '2+'}`}`,
        );
    });
  });
  post.mms.forEach((mm, m) => {
    if (mm.mm_cpumask !== pre.mms[m]!.mm_cpumask) out.push(`mm_cpumask(mm${m}) = ${cpuSet(mm.mm_cpumask)}`);
    mm.anonCopy?.forEach((own, v) => {
      if (own !== pre.mms[m]!.anonCopy![v])
        out.push(`${pageName(m, v)} (MAP_PRIVATE): ${own ? 'its own copy' : 'reads the file'}`);
    });
  });
  post.frames.forEach((f, i) => {
    const after = frameText(f);
    if (after !== frameText(pre.frames[i]!)) out.push(`f${i}: ${after}`);
  });
  post.tasks.forEach((t, i) => {
    const n = post.tasks.length > 1 ? i : '';
    const after = ubcText(t.tlb_ubc);
    if (after !== ubcText(pre.tasks[i]!.tlb_ubc)) out.push(`tlb_ubc${n}: ${after}`);
    const nowr = ubcText(t.tlb_ubc_nowr);
    if (nowr !== ubcText(pre.tasks[i]!.tlb_ubc_nowr)) out.push(`tlb_ubc_nowr${n}: ${nowr}`);
    if (t.batched_clear !== pre.tasks[i]!.batched_clear && t.batched_clear !== undefined)
      out.push(
        t.batched_clear === 1
          ? `T${i} flushed for tlb_flush_batched, will reset it`
          : `T${i}'s reset of tlb_flush_batched is stale (a flush deferred since)`,
      );
    if (t.handoff === true && pre.tasks[i]!.handoff !== true)
      out.push(
        `T${i} waited RWSEM_WAIT_TIMEOUT for i_mmap_rwsem: RWSEM_FLAG_HANDOFF set, no new walk starts`,
      );
    // a NUMA hinting fault's reference to a folio it has not isolated yet (numaIsolation 'after-unlock')
    const held = unisolatedText(t);
    const heldBefore = unisolatedText(pre.tasks[i]!);
    if (held !== heldBefore)
      out.push(
        held !== ''
          ? `T${i} holds a reference to ${held}, not isolated yet`
          : t.job === 'idle'
            ? `T${i} could not isolate ${heldBefore}: reference dropped`
            : `T${i} isolated ${heldBefore}`,
      );
    const req = reqs(t.mreq === null ? [] : [t.mreq]);
    if (req !== reqs(pre.tasks[i]!.mreq === null ? [] : [pre.tasks[i]!.mreq!]))
      out.push(`mreq${n}: ${req || 'none'}`);
  });
  const hung = reqs(post.migrc.reqs);
  if (hung !== reqs(pre.migrc.reqs)) out.push(`migrc_reqs: ${hung || 'empty'}`);
  if (post.migrc.stopped !== pre.migrc.stopped)
    out.push(post.migrc.stopped ? 'migrc stopped' : 'migrc resumed');
  post.ghost.promised.forEach((row, m) => {
    row.forEach((x, v) => {
      if (x !== pre.ghost.promised[m]![v])
        out.push(`returns: ${pageName(m, v)} ${x === 'none' ? 'unmapped' : x}`);
    });
  });
  post.disk?.forEach((x, v) => {
    if (x !== pre.disk![v]) out.push(`disk p${v} =${x}`);
  });
  const ipis = post.cost.ipis - pre.cost.ipis;
  if (ipis > 0) out.push(`${ipis} IPI${ipis > 1 ? 's' : ''}`);
  return out;
}
