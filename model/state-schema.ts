// The state's layout, declared once: every field of model/state.ts with what it holds.
// The encoding the explorer stores, its decoding, copyState() and both relabellings
// (frames, CPUs) are compiled from this (src/codec/compile.ts). A field added to an
// interface of state.ts and not here is a type error (Fields<T> wants every key).

import { copiesOnWrite, pfnmapMask } from './config.js';
import {
  array,
  bool,
  byte,
  counter,
  cpu,
  cpumask,
  type Field,
  flag,
  frame,
  frameOrNone,
  fromConfig,
  list,
  nullable,
  oneOf,
  optional,
  record,
  type Size,
  uint,
  uintOrFrame,
  union,
  when,
} from './schema.js';
import {
  type BatchFolio,
  type BufferedStore,
  type Cost,
  type Cpu,
  FOREIGN_FILE,
  type Frame,
  type Ghost,
  JOBS,
  type Migrc,
  type MigrcReq,
  type Mm,
  type Owner,
  type Pc,
  type Pte,
  type State,
  type Task,
  type TlbEntry,
  type TlbUbc,
} from './state.js';

const mm = uint((c) => c.mms - 1);
const vpage = uint((c) => c.pages - 1);
/** A set of mms, bit m for mm m. */
const mms: Field = uint((c) => (1 << c.mms) - 1);
const pages: Size = (c) => c.pages;
const prot = oneOf(['none', 'ro', 'rw']);

// Recipes replace TLB entries, owners, program counters, tlb_ubc records and a fault's
// wp_copy, never edit them in place: copies share them.
const tlbEntry = record<TlbEntry>({ frame, writable: bool, dirty: bool }, { replaced: true });

export const CPU_SCHEMA = record<Cpu>({
  mm,
  migrc_done: byte,
  tlb: array((c) => c.mms * c.pages, nullable(tlbEntry)),
  tlb_gen_lag: when(
    (c) => c.pcid === true,
    array(
      (c) => c.mms,
      uint(() => 2),
    ),
  ),
  // at most two: is_lazy and LOADED_MM_SWITCHING in one switch (model/store-buffer.ts).
  // Before the optional fields the recipes add, so a copy keeps immer's key order.
  sb: when(
    (c) => c.tso === true,
    list(
      () => 2,
      union<BufferedStore>({ is_lazy: { was: bool }, loaded_mm: { was: optional(mm) } }, { replaced: true }),
    ),
  ),
  lazy: when((c) => c.pcid === true, flag),
  switching: when((c) => c.pcid === true, flag),
  loaded_mm: when((c) => c.pcid === true, optional(mm)),
  wp_copy: when(
    copiesOnWrite,
    optional(
      record<NonNullable<Cpu['wp_copy']>>({ vpage, src: frame, dst: frame, set: flag }, { replaced: true }),
    ),
  ),
});

const pte = union<Pte>({
  none: {},
  present: {
    frame,
    writable: bool,
    dirty: bool,
    accessed: bool,
    protnone: when((c) => c.syscalls?.includes('numa') === true, flag),
  },
  migration: { frame, writable: bool, dirty: bool },
});

const mmSchema = record<Mm>({
  pte: array(pages, pte),
  vma: array(pages, prot),
  mm_cpumask: cpumask,
  tlb_flush_batched: bool,
  swap: array(pages, byte),
  // only the mms that map the file MAP_PRIVATE have it: the predicate reads the index
  anonCopy: when((c, m) => c.mapPrivate?.includes(m) === true, array(pages, bool)),
});

const owner = union<Owner>(
  {
    free: {},
    unmapped: {},
    anon: { mm, vpage, shared: optional(mms, 0), cowed: flag },
    file: {
      file: uint(() => 1),
      // a foreign page-cache page's index is the frame it was given: it moves with the frame
      index: uintOrFrame(
        (c) => Math.max(c.pages, c.frames) - 1,
        (o: Owner & { kind: 'file' }) => o.file === FOREIGN_FILE,
      ),
      mapped: optional(mms, 0),
    },
  },
  { replaced: true },
);

export const FRAME_SCHEMA = record<Frame>({
  owner,
  data: byte,
  refcount: byte,
  dirty: bool,
  migrc: bool,
  lazyfree: flag,
  pinned: when(
    (c) => c.syscalls?.includes('pin') === true,
    optional(record<NonNullable<Frame['pinned']>>({ mm, vpage }, { replaced: true })),
  ),
});

const ubc = record<TlbUbc>({ cpumask, flush_required: bool, writable: bool }, { replaced: true });

const req = record<MigrcReq>({ cpumask, gen: byte, srcs: list((c) => c.batch, frame) });

const folio = record<BatchFolio>({
  mm,
  vpage,
  src: frameOrNone,
  dst: frameOrNone,
  marked: flag,
  failed: flag,
  forceFlush: flag,
  migrcRefused: flag,
  undoing: flag,
  unisolated: when((c) => c.syscalls?.includes('numa') === true, flag),
});

const task = record<Task>({
  cpu,
  job: oneOf(JOBS),
  // (an mremap() job holds two pages, the old and the new, whatever the batch)
  folios: list((c) => Math.max(c.batch, c.syscalls?.includes('mremap') ? 2 : 0), folio),
  pc: record<Pc>({ phase: byte, folio: byte, step: byte }, { replaced: true }),
  tlb_ubc: ubc,
  tlb_ubc_nowr: ubc,
  mreq: nullable(req),
  revokes: when(
    (c) => c.perCallPromises === true,
    list((c) => c.frames, frame),
  ),
  batched_clear: optional(
    uint(() => 2),
    0,
  ),
  handoff: when((c) => c.sharedFile === true, flag),
});

const migrc = record<Migrc>({
  gen: byte,
  // at most one request hung per frame
  reqs: list((c) => c.frames, req),
  stopped: flag,
  genBits: fromConfig((c) => c.migrcGenBits),
});

const perPage = (of: Field) => array((c) => c.mms, array(pages, of));

const ghost = record<Ghost>({
  memory: perPage(byte),
  promised: perPage(prot),
  lazy: perPage(bool),
  file: when((c) => c.mapPrivate !== undefined, array(pages, byte)),
});

export const STATE_SCHEMA: Field = record<State>({
  cpus: array((c) => c.cpus, CPU_SCHEMA, 'cpu'),
  mms: array((c) => c.mms, mmSchema),
  frames: array((c) => c.frames, FRAME_SCHEMA, 'frame'),
  freeList: list((c) => c.frames, frame),
  allocator: fromConfig((c) => c.allocator ?? 'lowest-free'),
  ptesPerTable: fromConfig((c) => c.ptesPerTable),
  tasks: array((c) => c.taskCpus.length, task),
  migrc,
  forkChild: fromConfig((c) => c.forkChild),
  disk: when((c) => c.sharedFile === true, array(pages, byte)),
  moveMayFail: fromConfig((c) => (c.moveFailures === true ? true : undefined)),
  pfnmap: fromConfig((c) => (pfnmapMask(c) === 0 ? undefined : pfnmapMask(c))),
  ghost,
  cost: record<Cost>({ ipis: counter, fullFlushes: counter, pageFlushes: counter }),
  // last: a recipe adds it, so a copy keeps immer's key order
  flusher: when(
    (c) => c.sharedFile === true,
    optional(record<NonNullable<State['flusher']>>({ index: vpage, left: mms }, { replaced: true })),
  ),
});

/**
 * The order in which symmetry reduction walks the state to number its frames (the frames
 * array itself aside): the fields that name a frame most stably first, TLB entries last.
 */
export const FRAME_WALK: readonly (keyof State)[] = ['freeList', 'mms', 'tasks', 'migrc', 'cpus'];
