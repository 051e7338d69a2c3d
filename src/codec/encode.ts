// A canonical byte encoding of a state: everything but the cost counters, in a fixed
// layout per config, so equal states have equal bytes and a fingerprint of the bytes
// identifies the state. decode() is its exact inverse and gives a fresh, mutable state
// that the model's recipes (model/actions.ts `apply`) can step in place.

import { type Config, copiesOnWrite } from '../../model/config.js';
import {
  type BatchFolio,
  type Cpu,
  FOREIGN_FILE,
  type Frame,
  JOBS,
  type MigrcReq,
  type Mm,
  type Prot,
  type Pte,
  type State,
  type Task,
  type TlbEntry,
  type TlbUbc,
} from '../../model/state.js';

export interface Layout {
  readonly config: Config;
  readonly slots: number;
  readonly size: number;
}

const PROTS: readonly Prot[] = ['none', 'ro', 'rw'];
// Comparisons and a Map, not indexOf(): encode() runs on every successor the explorer makes.
const JOB_BYTE = new Map(JOBS.map((j, k) => [j, k]));
const protByte = (p: Prot): number => (p === 'none' ? 0 : p === 'ro' ? 1 : 2);

export function layoutOf(config: Config): Layout {
  const slots = config.mms * config.pages;
  // with PCID, one more byte per CPU: its tlb_gen lag per mm, two bits each; with a fork
  // child or a MAP_PRIVATE file, three: a write fault's wp_page_copy() in flight (vpage, src, dst)
  const cpus = config.cpus * cpuBytes(config);
  const mms = config.mms * (2 + config.pages * 4);
  const frames = config.frames * 6;
  // a migrc request: cpumask, gen, count, srcs
  const req = 3 + config.batch;
  const tasks = config.taskCpus.length * (3 + config.batch * 5 + 3 + 3 + 3 + 1 + req);
  // migrc: gen, the number of requests hung, and at most one per frame
  const migrc = 2 + config.frames * req;
  const ghost = slots * 2;
  const freeList = 1 + config.frames;
  // a sharedFile world's file on disk, one byte a page, and with MAP_PRIVATE mms the
  // ghost's file (ghost.file)
  const disk = config.sharedFile ? config.pages * (config.mapPrivate === undefined ? 1 : 2) : 0;
  return { config, slots, size: cpus + mms + frames + tasks + migrc + ghost + freeList + disk };
}

// The helpers below are module functions threading the offset, not closures: tsx keeps
// function names, so a closure made on every call paid a defineProperty each time (22% of
// the explorer's time on small, measured with --cpu-prof).

/** Frame `f` renumbered through `map` (none: as it is); -1 stays -1. */
const fr = (map: readonly number[] | null, f: number): number => (map === null || f < 0 ? f : map[f]!);

/** Write a migrc request (or an empty one) at `i`; returns the offset after it. */
function putReq(
  out: Uint8Array,
  i: number,
  r: MigrcReq | null,
  batch: number,
  map: readonly number[] | null,
  cpus: readonly number[] | null,
): number {
  out[i++] = r === null ? 0 : cm(cpus, r.cpumask);
  out[i++] = r?.gen ?? 0;
  out[i++] = r?.srcs.length ?? 0;
  for (let k = 0; k < batch; k++) {
    const f = r?.srcs[k];
    out[i++] = f === undefined ? 0 : fr(map, f);
  }
  return i;
}

function putUbc(out: Uint8Array, i: number, u: TlbUbc, cpus: readonly number[] | null): number {
  out[i] = cm(cpus, u.cpumask);
  out[i + 1] = u.flush_required ? 1 : 0;
  out[i + 2] = u.writable ? 1 : 0;
  return i + 3;
}

function getReq(b: Uint8Array, i: number): MigrcReq {
  const n = b[i + 2]!;
  const srcs: number[] = [];
  for (let k = 0; k < n; k++) srcs.push(b[i + 3 + k]!);
  return { cpumask: b[i]!, gen: b[i + 1]!, srcs };
}
const reqBytes = (batch: number) => 3 + batch;

const getUbc = (b: Uint8Array, i: number): TlbUbc => ({
  cpumask: b[i]!,
  flush_required: b[i + 1] === 1,
  writable: b[i + 2] === 1,
});

/** Bytes a CPU takes in the encoding. */
export const cpuBytes = (config: Config): number =>
  2 + (config.pcid ? 1 : 0) + (copiesOnWrite(config) ? 3 : 0) + config.mms * config.pages;

/** Write one CPU's bytes at `i` (frames renumbered through `map`); returns the offset after them. */
export function putCpu(
  layout: Layout,
  cpu: Cpu,
  out: Uint8Array,
  i: number,
  map: readonly number[] | null,
): number {
  // mm < 4 (LIMITS.mms); then is_lazy, LOADED_MM_SWITCHING, and a loaded_mm that is not mm
  const loaded = cpu.loaded_mm === undefined ? 0 : 16 | (cpu.loaded_mm << 5);
  out[i++] = cpu.mm | (cpu.lazy ? 4 : 0) | (cpu.switching ? 8 : 0) | loaded;
  out[i++] = cpu.migrc_done;
  if (cpu.tlb_gen_lag !== undefined) {
    let lags = 0;
    for (let m = 0; m < cpu.tlb_gen_lag.length; m++) lags |= cpu.tlb_gen_lag[m]! << (2 * m);
    out[i++] = lags;
  }
  if (copiesOnWrite(layout.config)) {
    const copy = cpu.wp_copy;
    // vpage < 8 (LIMITS.pages); 16: the new PTE is set, the flush still to come
    out[i++] = copy === undefined ? 0 : (1 + copy.vpage) | (copy.set ? 16 : 0);
    out[i++] = copy === undefined ? 0 : fr(map, copy.src);
    out[i++] = copy === undefined ? 0 : fr(map, copy.dst);
  }
  for (const e of cpu.tlb)
    out[i++] = e === null ? 0 : 1 + ((fr(map, e.frame) << 2) | (e.writable ? 2 : 0) | (e.dirty ? 1 : 0));
  return i;
}

/** A cpumask with its CPUs renumbered through `cpus` (none: as it is). */
export function cm(cpus: readonly number[] | null, mask: number): number {
  if (cpus === null) return mask;
  let out = 0;
  for (let c = 0; c < cpus.length; c++) if ((mask >> c) & 1) out |= 1 << cpus[c]!;
  return out;
}

/**
 * Write the state's bytes at `at`. With `map` (old frame number -> new, a permutation),
 * write them as for the state with its frames renumbered: the same bytes as
 * encode(relabel(s, map)) without building that state (symmetry reduction does this on
 * every transition).
 */
export function encode(
  layout: Layout,
  s: State,
  out: Uint8Array,
  at = 0,
  map: readonly number[] | null = null,
  cpus: readonly number[] | null = null,
): void {
  let i = at;
  const batch = layout.config.batch;
  const n = s.cpus.length;
  if (cpus === null) for (let c = 0; c < n; c++) i = putCpu(layout, s.cpus[c]!, out, i, map);
  else {
    // In the new numbering, CPU j is the old CPU that maps to j.
    const inverse: number[] = new Array(n);
    for (let c = 0; c < n; c++) inverse[cpus[c]!] = c;
    for (let j = 0; j < n; j++) i = putCpu(layout, s.cpus[inverse[j]!]!, out, i, map);
  }
  for (const mm of s.mms) {
    out[i++] = cm(cpus, mm.mm_cpumask);
    out[i++] = mm.tlb_flush_batched ? 1 : 0;
    for (const p of mm.pte) {
      if (p.kind === 'none') {
        out[i++] = 0;
        out[i++] = 0;
      } else {
        const accessed = p.kind === 'present' && p.accessed ? 16 : 0;
        out[i++] = (p.kind === 'present' ? 1 : 2) | (p.writable ? 4 : 0) | (p.dirty ? 8 : 0) | accessed;
        out[i++] = fr(map, p.frame);
      }
    }
    for (const v of mm.swap) out[i++] = v;
    // bit 2: a MAP_PRIVATE page's own copy (Mm.anonCopy)
    for (let v = 0; v < mm.vma.length; v++) out[i++] = protByte(mm.vma[v]!) | (mm.anonCopy?.[v] ? 4 : 0);
  }
  // In the new numbering, frame j is the old frame that maps to j.
  let inverse: number[] | null = null;
  if (map !== null) {
    inverse = new Array(map.length);
    for (let f = 0; f < map.length; f++) inverse[map[f]!] = f;
  }
  for (let j = 0; j < s.frames.length; j++) {
    const f = s.frames[inverse === null ? j : inverse[j]!]!;
    const o = f.owner;
    // the owner's kind: free 0, anon 1, file 2, unmapped 3
    out[i++] = o.kind === 'free' ? 0 : o.kind === 'anon' ? 1 : o.kind === 'file' ? 2 : 3;
    // mm < 4 (LIMITS.mms), and the mms sharing the folio copy-on-write above it; for a
    // page-cache folio, which file (0 or 1) and the mms mapping it above that
    out[i++] =
      o.kind === 'anon'
        ? o.mm | ((o.shared ?? 0) << 2) | (o.cowed ? 64 : 0)
        : o.kind === 'file'
          ? o.file | ((o.mapped ?? 0) << 1)
          : 0;
    // A foreign page-cache page's index is the frame it was given: it moves with the frame.
    out[i++] =
      o.kind === 'anon'
        ? o.vpage
        : o.kind === 'file'
          ? o.file === FOREIGN_FILE
            ? fr(map, o.index)
            : o.index
          : 0;
    out[i++] = f.data;
    out[i++] = f.refcount;
    out[i++] = (f.dirty ? 1 : 0) | (f.migrc ? 2 : 0) | (f.lazyfree ? 4 : 0);
  }
  for (const t of s.tasks) {
    out[i++] = cpus === null ? t.cpu : cpus[t.cpu]!;
    out[i++] = JOB_BYTE.get(t.job)!;
    out[i++] = t.folios.length;
    for (let k = 0; k < batch; k++) {
      const f = t.folios[k];
      out[i++] = f?.mm ?? 0;
      out[i++] = f?.vpage ?? 0;
      out[i++] = f === undefined ? 0 : fr(map, f.src) + 1;
      out[i++] = f === undefined ? 0 : fr(map, f.dst) + 1;
      out[i++] =
        (f?.marked ? 1 : 0) | (f?.failed ? 2 : 0) | (f?.forceFlush ? 4 : 0) | (f?.migrcRefused ? 8 : 0);
    }
    out[i++] = t.pc.phase;
    out[i++] = t.pc.folio;
    out[i++] = t.pc.step;
    i = putUbc(out, i, t.tlb_ubc, cpus);
    i = putUbc(out, i, t.tlb_ubc_nowr, cpus);
    // whether it builds a migrc request, and where it is in a windowed flush_tlb_batched_pending()
    out[i++] = (t.mreq === null ? 0 : 1) | ((t.batched_clear ?? 0) << 1);
    i = putReq(out, i, t.mreq, batch, map, cpus);
  }
  out[i++] = s.migrc.gen;
  // at most LIMITS.frames (32) requests: the top bit is migrc_stop_pending()
  out[i++] = s.migrc.reqs.length | (s.migrc.stopped ? 0x80 : 0);
  for (let k = 0; k < layout.config.frames; k++)
    i = putReq(out, i, s.migrc.reqs[k] ?? null, batch, map, cpus);
  for (const row of s.ghost.memory) for (const v of row) out[i++] = v;
  for (let m = 0; m < s.ghost.promised.length; m++) {
    const row = s.ghost.promised[m]!;
    for (let v = 0; v < row.length; v++) out[i++] = protByte(row[v]!) | (s.ghost.lazy[m]![v] ? 4 : 0);
  }
  out[i++] = s.freeList.length;
  for (let k = 0; k < layout.config.frames; k++) {
    const f = s.freeList[k];
    out[i++] = f === undefined ? 0 : fr(map, f);
  }
  if (s.disk !== undefined) for (const v of s.disk) out[i++] = v;
  if (s.ghost.file !== undefined) for (const v of s.ghost.file) out[i++] = v;
}

const ZERO_COST = { ipis: 0, fullFlushes: 0, pageFlushes: 0 };

/** An anonymous owner from its byte: mm in bits 0-1, the mms sharing it in 2-5, cowed in 6. */
function anonOwner(x: number, vpage: number): Frame['owner'] {
  const shared = (x >> 2) & 15;
  return {
    kind: 'anon',
    mm: x & 3,
    vpage,
    ...(shared === 0 ? {} : { shared }),
    ...((x & 64) !== 0 ? { cowed: true as const } : {}),
  };
}

/** A page-cache owner from its bytes: the file in bit 0, the mms mapping it above. */
function fileOwner(x: number, index: number): Frame['owner'] {
  const mapped = x >> 1;
  return { kind: 'file', file: x & 1, index, ...(mapped === 0 ? {} : { mapped }) };
}

/** The state the bytes encode, as fresh plain objects; cost counters start at zero. */
export function decode(layout: Layout, b: Uint8Array, at = 0): State {
  const { config } = layout;
  let i = at;
  const cpus: Cpu[] = [];
  for (let c = 0; c < config.cpus; c++) {
    const head = b[i++]!;
    const migrc_done = b[i++]!;
    const lags = config.pcid ? b[i++]! : 0;
    let wp_copy: Cpu['wp_copy'];
    if (copiesOnWrite(config)) {
      const x = b[i]!;
      if (x !== 0) {
        const copy = { vpage: (x & 15) - 1, src: b[i + 1]!, dst: b[i + 2]! };
        wp_copy = (x & 16) === 0 ? copy : { ...copy, set: true };
      }
      i += 3;
    }
    const tlb: (TlbEntry | null)[] = [];
    for (let k = 0; k < layout.slots; k++) {
      const x = b[i++]!;
      tlb.push(
        x === 0 ? null : { frame: (x - 1) >> 2, writable: ((x - 1) & 2) !== 0, dirty: ((x - 1) & 1) !== 0 },
      );
    }
    const cpu: Cpu =
      wp_copy === undefined ? { mm: head & 3, migrc_done, tlb } : { mm: head & 3, migrc_done, tlb, wp_copy };
    if (!config.pcid) {
      cpus.push(cpu);
      continue;
    }
    cpus.push({
      ...cpu,
      tlb_gen_lag: Array.from({ length: config.mms }, (_, m) => (lags >> (2 * m)) & 3),
      ...((head & 4) !== 0 ? { lazy: true as const } : {}),
      ...((head & 8) !== 0 ? { switching: true as const } : {}),
      ...((head & 16) !== 0 ? { loaded_mm: (head >> 5) & 3 } : {}),
    });
  }
  const mms = [];
  for (let m = 0; m < config.mms; m++) {
    const mm_cpumask = b[i++]!;
    const tlb_flush_batched = b[i++] === 1;
    const pte: Pte[] = [];
    for (let v = 0; v < config.pages; v++) {
      const flags = b[i++]!;
      const frame = b[i++]!;
      const kind = flags & 3;
      const writable = (flags & 4) !== 0;
      const dirty = (flags & 8) !== 0;
      pte.push(
        kind === 0
          ? { kind: 'none' }
          : kind === 1
            ? { kind: 'present', frame, writable, dirty, accessed: (flags & 16) !== 0 }
            : { kind: 'migration', frame, writable, dirty },
      );
    }
    const swap: number[] = [];
    for (let v = 0; v < config.pages; v++) swap.push(b[i++]!);
    const vma: Prot[] = [];
    const anonCopy: boolean[] = [];
    for (let v = 0; v < config.pages; v++) {
      vma.push(PROTS[b[i]! & 3]!);
      anonCopy.push((b[i++]! & 4) !== 0);
    }
    const mm = { pte, vma, mm_cpumask, tlb_flush_batched, swap };
    mms.push(config.mapPrivate?.includes(m) ? { ...mm, anonCopy } : mm);
  }
  const frames: Frame[] = [];
  for (let f = 0; f < config.frames; f++) {
    const kind = b[i++]!;
    const x = b[i++]!;
    const y = b[i++]!;
    const owner: Frame['owner'] =
      kind === 0
        ? { kind: 'free' }
        : kind === 1
          ? anonOwner(x, y)
          : kind === 2
            ? fileOwner(x, y)
            : { kind: 'unmapped' };
    const data = b[i++]!;
    const refcount = b[i++]!;
    const flags = b[i++]!;
    const frame: Frame = { owner, data, refcount, dirty: (flags & 1) !== 0, migrc: (flags & 2) !== 0 };
    frames.push((flags & 4) !== 0 ? { ...frame, lazyfree: true } : frame);
  }
  const tasks = [];
  for (let t = 0; t < config.taskCpus.length; t++) {
    const cpu = b[i++]!;
    const job = JOBS[b[i++]!]!;
    const n = b[i++]!;
    const folios: BatchFolio[] = [];
    for (let k = 0; k < config.batch; k++) {
      const folio: BatchFolio = { mm: b[i++]!, vpage: b[i++]!, src: b[i++]! - 1, dst: b[i++]! - 1 };
      const flags = b[i++]!;
      if ((flags & 1) !== 0) (folio as { marked?: boolean }).marked = true;
      if ((flags & 2) !== 0) (folio as { failed?: boolean }).failed = true;
      if ((flags & 4) !== 0) (folio as { forceFlush?: true }).forceFlush = true;
      if ((flags & 8) !== 0) (folio as { migrcRefused?: true }).migrcRefused = true;
      if (k < n) folios.push(folio);
    }
    const pc = { phase: b[i++]!, folio: b[i++]!, step: b[i++]! };
    const tlb_ubc = getUbc(b, i);
    const tlb_ubc_nowr = getUbc(b, i + 3);
    i += 6;
    const flags = b[i++]!;
    const mreq = (flags & 1) === 1 ? getReq(b, i) : null;
    i += reqBytes(config.batch);
    const batched_clear = (flags >> 1) as 0 | 1 | 2;
    const task: Task = { cpu, job, folios, pc, tlb_ubc, tlb_ubc_nowr, mreq };
    tasks.push(batched_clear === 0 ? task : { ...task, batched_clear });
  }
  const gen = b[i++]!;
  const stopped = (b[i]! & 0x80) !== 0;
  const nReqs = b[i++]! & 0x7f;
  const reqs: MigrcReq[] = [];
  for (let k = 0; k < nReqs; k++) reqs.push(getReq(b, i + k * reqBytes(config.batch)));
  i += config.frames * reqBytes(config.batch);
  const memory: number[][] = [];
  for (let m = 0; m < config.mms; m++) {
    const row: number[] = [];
    for (let v = 0; v < config.pages; v++) row.push(b[i++]!);
    memory.push(row);
  }
  const promised: Prot[][] = [];
  const lazy: boolean[][] = [];
  for (let m = 0; m < config.mms; m++) {
    const row: Prot[] = [];
    const lazyRow: boolean[] = [];
    for (let v = 0; v < config.pages; v++) {
      const x = b[i++]!;
      row.push(PROTS[x & 3]!);
      lazyRow.push((x & 4) !== 0);
    }
    promised.push(row);
    lazy.push(lazyRow);
  }
  const freeList: number[] = [];
  const nFree = b[i++]!;
  for (let k = 0; k < config.frames; k++) {
    const f = b[i++]!;
    if (k < nFree) freeList.push(f);
  }
  let disk: number[] | undefined;
  if (config.sharedFile) {
    disk = [];
    for (let v = 0; v < config.pages; v++) disk.push(b[i++]!);
  }
  let file: number[] | undefined;
  if (config.mapPrivate !== undefined) {
    file = [];
    for (let v = 0; v < config.pages; v++) file.push(b[i++]!);
  }
  return {
    cpus,
    mms,
    frames,
    freeList,
    allocator: config.allocator ?? 'lowest-free',
    ptesPerTable: config.ptesPerTable,
    tasks,
    migrc: {
      gen,
      reqs,
      ...(stopped ? { stopped } : {}),
      ...(config.migrcGenBits === undefined ? {} : { genBits: config.migrcGenBits }),
    },
    ...(config.forkChild === undefined ? {} : { forkChild: config.forkChild }),
    ...(disk === undefined ? {} : { disk }),
    ...(config.moveFailures ? { moveMayFail: true as const } : {}),
    ghost: { memory, promised, lazy, ...(file === undefined ? {} : { file }) },
    cost: { ...ZERO_COST },
  };
}

/** A fresh, mutable deep copy of a state (cheaper than decoding the bytes again). */
export function copyState(s: State): State {
  // TLB entries, tlb_ubc records and a fault's wp_copy are only ever replaced by the
  // recipes, never edited, so the copy shares them; everything a recipe edits in place is
  // copied. Loops and whole object literals, not map() and spreads: the explorer copies
  // the pre-state for every successor, and this was 13% of its time on small.
  const cpus: Cpu[] = new Array(s.cpus.length);
  for (let k = 0; k < cpus.length; k++) {
    const c = s.cpus[k]!;
    cpus[k] =
      c.tlb_gen_lag !== undefined
        ? { ...c, tlb: c.tlb.slice(), tlb_gen_lag: c.tlb_gen_lag.slice() }
        : c.wp_copy !== undefined
          ? { mm: c.mm, migrc_done: c.migrc_done, tlb: c.tlb.slice(), wp_copy: c.wp_copy }
          : { mm: c.mm, migrc_done: c.migrc_done, tlb: c.tlb.slice() };
  }
  const mms: Mm[] = new Array(s.mms.length);
  for (let k = 0; k < mms.length; k++) {
    const m = s.mms[k]!;
    const pte: Pte[] = new Array(m.pte.length);
    for (let v = 0; v < pte.length; v++) pte[v] = copyPte(m.pte[v]!);
    mms[k] =
      m.anonCopy === undefined
        ? {
            pte,
            vma: m.vma.slice(),
            mm_cpumask: m.mm_cpumask,
            tlb_flush_batched: m.tlb_flush_batched,
            swap: m.swap.slice(),
          }
        : {
            pte,
            vma: m.vma.slice(),
            mm_cpumask: m.mm_cpumask,
            tlb_flush_batched: m.tlb_flush_batched,
            swap: m.swap.slice(),
            anonCopy: m.anonCopy.slice(),
          };
  }
  const frames: Frame[] = new Array(s.frames.length);
  for (let k = 0; k < frames.length; k++) {
    const f = s.frames[k]!;
    frames[k] = f.lazyfree
      ? { owner: f.owner, data: f.data, refcount: f.refcount, dirty: f.dirty, migrc: f.migrc, lazyfree: true }
      : { owner: f.owner, data: f.data, refcount: f.refcount, dirty: f.dirty, migrc: f.migrc };
  }
  const tasks: Task[] = new Array(s.tasks.length);
  for (let k = 0; k < tasks.length; k++) {
    const t = s.tasks[k]!;
    const folios: BatchFolio[] = new Array(t.folios.length);
    for (let j = 0; j < folios.length; j++) folios[j] = { ...t.folios[j]! };
    const task: Task = {
      cpu: t.cpu,
      job: t.job,
      folios,
      pc: t.pc,
      tlb_ubc: t.tlb_ubc,
      tlb_ubc_nowr: t.tlb_ubc_nowr,
      mreq: t.mreq === null ? null : copyReq(t.mreq),
    };
    tasks[k] = t.batched_clear === undefined ? task : { ...task, batched_clear: t.batched_clear };
  }
  const reqs: MigrcReq[] = new Array(s.migrc.reqs.length);
  for (let k = 0; k < reqs.length; k++) reqs[k] = copyReq(s.migrc.reqs[k]!);
  const ghost = s.ghost;
  const out: State = {
    cpus,
    mms,
    frames,
    freeList: s.freeList.slice(),
    allocator: s.allocator,
    ptesPerTable: s.ptesPerTable,
    tasks,
    migrc: {
      gen: s.migrc.gen,
      reqs,
      ...(s.migrc.stopped ? { stopped: true as const } : {}),
      ...(s.migrc.genBits === undefined ? {} : { genBits: s.migrc.genBits }),
    },
    ...(s.forkChild === undefined ? {} : { forkChild: s.forkChild }),
    ...(s.disk === undefined ? {} : { disk: s.disk.slice() }),
    ...(s.moveMayFail ? { moveMayFail: true as const } : {}),
    ghost:
      ghost.file === undefined
        ? { memory: copyRows(ghost.memory), promised: copyRows(ghost.promised), lazy: copyRows(ghost.lazy) }
        : {
            memory: copyRows(ghost.memory),
            promised: copyRows(ghost.promised),
            lazy: copyRows(ghost.lazy),
            file: ghost.file.slice(),
          },
    cost: { ipis: s.cost.ipis, fullFlushes: s.cost.fullFlushes, pageFlushes: s.cost.pageFlushes },
  };
  return out;
}

function copyPte(p: Pte): Pte {
  switch (p.kind) {
    case 'none':
      return { kind: 'none' };
    case 'present':
      return { kind: 'present', frame: p.frame, writable: p.writable, dirty: p.dirty, accessed: p.accessed };
    case 'migration':
      return { kind: 'migration', frame: p.frame, writable: p.writable, dirty: p.dirty };
  }
}

function copyReq(r: MigrcReq): MigrcReq {
  return { cpumask: r.cpumask, gen: r.gen, srcs: r.srcs.slice() };
}

function copyRows<T>(rows: readonly (readonly T[])[]): T[][] {
  const out: T[][] = new Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = rows[k]!.slice();
  return out;
}
