/*
 * migrate-batched.pml -- a Promela twin of the shootdown model of the protocol
 * `migrate-batched` (and, with -DCOPY_BEFORE_FLUSH, of the seeded bug
 * `migrate-batched-wrong-copy-before-flush`), for benchmarking against Spin.
 *
 * It mirrors, state variable for state variable and step for step:
 *   model/state.ts      State (all of it except `cost`) and initialState()
 *   model/config.ts     the configs `tiny` (default), `small`, `two-mms`, `two-tasks`
 *   model/hardware.ts   accessOutcome(), faultOutcome(), flushTlbMulti()
 *   model/memory.ts     allocatableFrame (lowest free frame), allocAnon, folio_put,
 *                       do_swap_page, do_wp_page, reuseFrame; with -DLIFO the config's
 *                       allocator 'lifo' (see "the free list" below)
 *   model/queries.ts    residentFrame, homeValue, isolatingTask
 *   model/rmap.ts       should_defer_flush, set_tlb_ubc_flush_pending,
 *                       try_to_unmap_flush(_dirty), unmapOne
 *   model/migrate.ts    move_to_new_folio, remove_migration_ptes, migrate_folio_done
 *   model/vmscan.ts     pageout, free_unref_folios
 *   model/task.ts       currentStep/currentFolio, applies, successor, settle,
 *                       startJob, kernelStep
 *   model/actions.ts    enabled()/apply() of load, store, tlbEvict, reuseFrame,
 *                       migrate_pages, shrink_folio_list, kernelStep
 *   model/enumerate.ts  the action universe (batches = non-empty vpage sets of at
 *                       most `batch` pages, in ascending vpage order)
 *   model/variants/migrate-batched.ts (migrate program) with reclaim inherited from
 *   reclaim-batched-dirty.ts (<- reclaim-batched.ts <- sync.ts); arch x86 (dirty-bit
 *   trap); model/variants/migrate-batched-wrong-copy-before-flush.ts under
 *   -DCOPY_BEFORE_FLUSH.
 *   properties/invariants.ts  all six invariants, as assert()s checked at the end of
 *                       every step (the two step invariants with hidden temporaries).
 *
 * One process, one `do` loop; every action of the universe is one `d_step`, guarded
 * exactly like enabled() and updating exactly like apply(). Everything that is not
 * part of the TypeScript state lives in `hidden` variables, which Spin does not store,
 * and which every step writes before it reads them. A TLB entry / PTE / owner / folio
 * that does not exist has all its fields 0, as src/encode.ts canonicalises them, so two
 * Spin states are equal iff the two encoded TypeScript states are equal.
 *
 * Run (tiny, the default config):
 *   mkdir -p /tmp/pml && cd /tmp/pml && spin -a /work/main/bench/migrate-batched.pml \
 *     && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m100000
 * must report `errors: 0` and 7193 states stored = the explorer's 7192 distinct + 1
 * (Spin's own initial state, before the initialising d_step), and 56608 transitions =
 * the explorer's 56606 generated + 2 (the initialising step, and the root).
 * The explorer's count:
 *   cd /work/main && npx tsx -e "import {explore} from './src/explore.ts'; import {CONFIGS}
 *     from './model/config.ts'; import {findVariant} from './model/registry.ts'; const r =
 *     explore(findVariant('migrate-batched')!, CONFIGS.tiny); console.log(r.distinct, r.generated)"
 *
 * The seeded bug (-DCOPY_BEFORE_FLUSH), shortest counterexample (-i needs -DREACH to be
 * exact; pan writes the trail in the working directory, hence -k):
 *   cd /tmp/pml && spin -DCOPY_BEFORE_FLUSH -a /work/main/bench/migrate-batched.pml && \
 *     gcc -O2 -DSAFETY -DNOREDUCE -DREACH -o pan pan.c && ./pan -m100000 -i && \
 *     spin -t -k migrate-batched.pml.trail -DCOPY_BEFORE_FLUSH /work/main/bench/migrate-batched.pml
 * fails assert(noLostWrite) (and loadsSeeLastStore) at depth 7: the initialising step and
 * 7 actions, the explorer's 7 (store, migrate_pages, try_to_migrate_one,
 * move_to_new_folio, store, try_to_unmap_flush, remove_migration_ptes); add -p to see
 * every statement. Without -i, plain DFS finds one at depth 290. With `./pan -m100000 -A`
 * (assertions ignored) it stores 11929 states / 89494 transitions = 11928 + 1 / 89492 + 2
 * (explorer with { invariants: [] }).
 *
 * Checked counts (Spin stored / transitions  vs  explorer distinct / generated):
 *   tiny       migrate-batched             7193 / 56608        7192 / 56606
 *   tiny       copy-before-flush (-A)     11929 / 89494       11928 / 89492
 *   -DSMALL    migrate-batched         10218476 / 154202685   10218475 / 154202683
 *   -DSMALL    copy-before-flush (-A)  24756968 / 361251260   24756967 / 361251258
 *   -DTWO_MMS  migrate-batched           216916 / 1732620      216915 / 1732618
 *   -DTWO_MMS  copy-before-flush (-A)    367329 / 2894757      367328 / 2894755
 * (pan prints counts above 10^8 as %g, e.g. 1.5420268e+08; the exact figures come from
 * changing that format in the generated pan.c.)
 *
 * -DLIFO (any config above) models allocator: 'lifo', as CONFIGS['tiny-lifo'] is tiny with
 * it: the free list, in order, becomes part of the state; folio_put() pushes a freed frame
 * on its front and the allocator pops the front. Pass -DLIFO to spin -a (and to gcc, as
 * bench/run.ts passes every define to both). Checked counts:
 *   tiny       -DLIFO migrate-batched      8117 / 64583        8116 / 64581
 *   -DSMALL -DLIFO migrate-batched     21408989 / 330681786   21408988 / 330681784
 * (explorer: CONFIGS['tiny-lifo'], and CONFIGS.small with allocator 'lifo'). On tiny and
 * tiny-lifo the -DDUMP edge multisets equal the explorer's. -DSMALL -DLIFO goes 1090732
 * deep: run ./pan -m2000000 -w26 (bench/run.ts's -m1000000 truncates it); about 150 s
 * and 2.9 GB.
 *
 * For -DSMALL compile pan with -DMEMLIM=16000 and run ./pan -m20000000 -w26 (the DFS goes
 * 316097 deep; -m100000 truncates it); about 75 s and 2.5 GB. -DTWO_TASKS has more than
 * 68 million states and was only checked edge by edge on the states both tools expand
 * within a few steps of the start.
 * On tiny the two state sets, and every state's multiset of successors, were also
 * compared exactly: spin -DDUMP, pan compiled with -DPRINTF, prints every state in the
 * byte layout of src/encode.ts.
 *
 * Two Spin pitfalls this file works around: Spin hides write-only variables from the
 * state vector (pte_a and tlb_flush_batched are read by nothing in the model; see
 * wellFormed below), and a loop may not end a d_step. `hidden` rules out -DBFS.
 *
 * Sizes supported: cpus <= 3, mms <= 2, pages <= 3, frames <= 8, values <= 3, tasks <= 2
 * (the alternatives and guards below are written out up to those bounds).
 */

/* ---------------------------------------------------------------- the config */

#if defined(SMALL)
#define NCPU     2
#define NMM      1
#define NPAGES   2
#define NFRAMES  4
#define NVALUES  2
#define NTASKS   1
#define BATCH    2
#define CPU_MM(c)   0
#define TASK_CPU(t) 0
#elif defined(TWO_MMS)
#define NCPU     2
#define NMM      2
#define NPAGES   1
#define NFRAMES  3
#define NVALUES  2
#define NTASKS   1
#define BATCH    1
#define CPU_MM(c)   (c)
#define TASK_CPU(t) 0
#elif defined(TWO_TASKS)
#define NCPU     3
#define NMM      1
#define NPAGES   2
#define NFRAMES  5
#define NVALUES  2
#define NTASKS   2
#define BATCH    1
#define CPU_MM(c)   0
#define TASK_CPU(t) (t)
#else /* tiny */
#define NCPU     2
#define NMM      1
#define NPAGES   1
#define NFRAMES  3
#define NVALUES  2
#define NTASKS   1
#define BATCH    1
#define CPU_MM(c)   0
#define TASK_CPU(t) 0
#endif

#if NCPU > 3 || NMM > 2 || NPAGES > 3 || NFRAMES > 8 || NVALUES > 3 || NTASKS > 2 || BATCH > NPAGES
#error "config too large for the alternatives written out below"
#endif

#define NSLOT   (NMM*NPAGES)      /* TLB slots per CPU: mm * pages + vpage */
#define NPTE    (NMM*NPAGES)      /* PTEs, swap slots, ghost cells: mm * pages + vpage */
#define NOFRAME 255               /* NO_FRAME (-1) */
#define FOREIGN_DATA 99

/* Pte.kind, as src/encode.ts numbers it */
#define NONE      0
#define PRESENT   1
#define MIGRATION 2
/* Owner.kind */
#define FREE 0
#define ANON 1
#define FILE 2
/* Job, as JOBS in src/encode.ts */
#define IDLE    0
#define MIGRATE 1
#define RECLAIM 2

/* StepName */
#define S_UNMAP_ONE    1   /* try_to_unmap_one */
#define S_MIGRATE_ONE  2   /* try_to_migrate_one */
#define S_FLUSH        3   /* try_to_unmap_flush */
#define S_FLUSH_DIRTY  4   /* try_to_unmap_flush_dirty */
#define S_PAGEOUT      5   /* pageout */
#define S_FREE         6   /* free_unref_folios */
#define S_MOVE         7   /* move_to_new_folio */
#define S_REMOVE       8   /* remove_migration_ptes */
#define S_DONE         9   /* migrate_folio_done */

/* ------------------------------------------------------------ the policy */

/* JobPolicy of both jobs: batchFlush true, deferDirty true. Arch x86: dirtyBitTrap. */
#define BATCH_FLUSH(j) 1
#define DEFER_DIRTY(j) 1

/*
 * The programs: three phases each, phase 1 is { once: try_to_unmap_flush }, phases 0
 * and 2 are `each`. PLEN = steps in a phase, PSTEP = the step at (phase, step).
 */
#define NPH(j)        3
#define IS_EACH(j,ph) ((ph) != 1)

#ifdef COPY_BEFORE_FLUSH
/* [{each: [try_to_migrate_one, move_to_new_folio]}, {once: try_to_unmap_flush},
 *  {each: [remove_migration_ptes, migrate_folio_done]}] */
#define MIG_LEN(ph)     ((ph) == 0 -> 2 : ((ph) == 1 -> 1 : 2))
#define MIG_STEP(ph,st) ((ph) == 0 -> ((st) == 0 -> S_MIGRATE_ONE : S_MOVE) : \
                         ((ph) == 1 -> S_FLUSH : ((st) == 0 -> S_REMOVE : S_DONE)))
#else
/* [{each: [try_to_migrate_one]}, {once: try_to_unmap_flush},
 *  {each: [move_to_new_folio, remove_migration_ptes, migrate_folio_done]}] */
#define MIG_LEN(ph)     ((ph) == 0 -> 1 : ((ph) == 1 -> 1 : 3))
#define MIG_STEP(ph,st) ((ph) == 0 -> S_MIGRATE_ONE : ((ph) == 1 -> S_FLUSH : \
                         ((st) == 0 -> S_MOVE : ((st) == 1 -> S_REMOVE : S_DONE))))
#endif

/* reclaim-batched-dirty: [{each: [try_to_unmap_one, try_to_unmap_flush_dirty, pageout]},
 *  {once: try_to_unmap_flush}, {each: [free_unref_folios]}] */
#define REC_LEN(ph)     ((ph) == 0 -> 3 : 1)
#define REC_STEP(ph,st) ((ph) == 0 -> ((st) == 0 -> S_UNMAP_ONE : ((st) == 1 -> S_FLUSH_DIRTY : S_PAGEOUT)) : \
                         ((ph) == 1 -> S_FLUSH : S_FREE))

#define PLEN(j,ph)     ((j) == MIGRATE -> MIG_LEN(ph) : REC_LEN(ph))
#define PSTEP(j,ph,st) ((j) == MIGRATE -> MIG_STEP(ph,st) : REC_STEP(ph,st))

/* ------------------------------------------------------------- the state */

/* cpus[c]: mm, tlb[mm*pages+vpage] = null | {frame, writable, dirty} */
byte cpu_mm[NCPU];
bit  tlb_v[NCPU*NSLOT];          /* entry present */
byte tlb_f[NCPU*NSLOT];
bit  tlb_w[NCPU*NSLOT];
bit  tlb_d[NCPU*NSLOT];

/* mms[m]: pte[], mm_cpumask, tlb_flush_batched, swap[] */
byte pte_kind[NPTE];
byte pte_f[NPTE];
bit  pte_w[NPTE];
bit  pte_d[NPTE];
bit  pte_a[NPTE];                /* 'present' only */
byte mm_cpumask[NMM];
bit  tlb_flush_batched[NMM];
byte swap[NPTE];

/* frames[f]: owner {free | anon mm vpage | file file index}, data, refcount, dirty */
byte fr_owner[NFRAMES];
byte fr_x[NFRAMES];              /* anon: mm,    file: file  */
byte fr_y[NFRAMES];              /* anon: vpage, file: index */
byte fr_data[NFRAMES];
byte fr_ref[NFRAMES];
bit  fr_dirty[NFRAMES];

/* tasks[t]: cpu, job, folios[] (t_n of them), pc, tlb_ubc */
byte t_cpu[NTASKS];
byte t_job[NTASKS];
byte t_n[NTASKS];
byte f_mm[NTASKS*BATCH];
byte f_vp[NTASKS*BATCH];
byte f_src[NTASKS*BATCH];
byte f_dst1[NTASKS*BATCH];       /* dst + 1: 0 for reclaim (dst -1), as encode.ts */
byte t_phase[NTASKS];
byte t_folio[NTASKS];
byte t_step[NTASKS];
byte ubc_mask[NTASKS];
bit  ubc_flush[NTASKS];          /* flush_required */
bit  ubc_w[NTASKS];              /* writable */

/* ghost.memory[mm][vpage] */
byte ghost[NPTE];

#ifdef LIFO
/* freeList: nfree frames, the one the allocator hands out next first; 0 beyond nfree, as
 * encode.ts. Its set is always { f : fr_owner[f] == FREE }, so FREE_EXISTS / FREE_COUNT
 * below still read it off fr_owner; only the order is new state. Without -DLIFO the order
 * is ascending, a function of fr_owner, and not stored. */
byte freelist[NFRAMES];
byte nfree;
#endif

/* ------------------------------------------------- temporaries (not stored) */

hidden byte i0, i1;                                      /* initialisation */
hidden byte hc, hv, hval, am, ap, ai, ao, aframe, afr;   /* user access */
hidden byte adrop, dbt_pre;
hidden byte ks_t, ks_job, ks_sc, ks_fi, ks_m, ks_v, ks_p, ks_src, ks_dst;
hidden byte ks_w, ks_d;
hidden byte st_t, st_sc, st_fi;                          /* settle */
hidden byte st_null, st_each, st_ap;
hidden byte hb_t, hb_m, hb_mask, hb_job, hb_v, hb_p, hb_src, hb_k, hb_dst;
hidden byte fl_mask, fl_slot, fl_i, fl_j;                /* flushes */
hidden byte fp_f;                                        /* folio_put */
hidden byte lf_out;                                      /* allocatableFrame */
#ifdef LIFO
hidden byte fk;                                          /* free-list edits */
#endif
hidden byte rf_m, rf_v, rf_out, rf_i;                    /* residentFrame */
hidden byte ci_c, ci_p, ci_s, ci_t, ci_k, ci_home, ci_read, ci_e, ci_m, ci_v;
hidden byte pre_res[NPTE], pre_data[NPTE];
hidden byte noStaleWritableTlbAfterRemap, dirtyBitWriteThroughTrap, noLostWrite,
            loadsSeeLastStore, noAccessToFreedFrame, dirtyNeverDroppedClean, wellFormed;

/* -------------------------------------------------- guards, as expressions */

#define ISFREE(i)        ((i) < NFRAMES && fr_owner[i] == FREE)
#define FREE_EXISTS      (ISFREE(0) || ISFREE(1) || ISFREE(2) || ISFREE(3) || \
                          ISFREE(4) || ISFREE(5) || ISFREE(6) || ISFREE(7))
#define ONE(b)           ((b) -> 1 : 0)
#define FREE_COUNT       (ONE(ISFREE(0)) + ONE(ISFREE(1)) + ONE(ISFREE(2)) + ONE(ISFREE(3)) + \
                          ONE(ISFREE(4)) + ONE(ISFREE(5)) + ONE(ISFREE(6)) + ONE(ISFREE(7)))
#define OWNS(i,m,v)      ((i) < NFRAMES && fr_owner[i] == ANON && fr_x[i] == (m) && fr_y[i] == (v))
#define ANON_EXISTS(m,v) (OWNS(0,m,v) || OWNS(1,m,v) || OWNS(2,m,v) || OWNS(3,m,v) || \
                          OWNS(4,m,v) || OWNS(5,m,v) || OWNS(6,m,v) || OWNS(7,m,v))

/* accessOutcome(...).kind === 'wait' for CPU c, vpage v, W = is a store */
#define AM(c)   cpu_mm[c]
#define AP(c,v) (AM(c)*NPAGES + (v))
#define AI(c,v) ((c)*NSLOT + AP(c,v))
#define FAULTS(c,v,W) \
  ((tlb_v[AI(c,v)] && (W) && !(tlb_w[AI(c,v)] && tlb_d[AI(c,v)]) && \
    !(tlb_w[AI(c,v)] && pte_kind[AP(c,v)] == PRESENT && pte_w[AP(c,v)])) || \
   (!tlb_v[AI(c,v)] && !(pte_kind[AP(c,v)] == PRESENT && (pte_w[AP(c,v)] || !(W)))))
#define FAULT_WAITS(c,v) \
  (pte_kind[AP(c,v)] == MIGRATION || \
   (pte_kind[AP(c,v)] == NONE && (ANON_EXISTS(AM(c),v) || !FREE_EXISTS)))
#define ACCESS_WAITS(c,v,W) (FAULTS(c,v,W) && FAULT_WAITS(c,v))

/* isolatingTask(frame) >= 0 */
#define ISO1(t,k,fr) ((t) < NTASKS && (k) < BATCH && (k) < t_n[t] && \
                      (f_src[(t)*BATCH+(k)] == (fr) || f_dst1[(t)*BATCH+(k)] == (fr)+1))
#define ISOLATED(fr) (ISO1(0,0,fr) || ISO1(0,1,fr) || ISO1(0,2,fr) || \
                      ISO1(1,0,fr) || ISO1(1,1,fr) || ISO1(1,2,fr))
/* batchStartable(): each vpage of the set present and not isolated by any batch */
#define PAGE_OK(m,mask,v) (!(((mask) >> (v)) & 1) || \
   ((v) < NPAGES && pte_kind[(m)*NPAGES+(v)] == PRESENT && !ISOLATED(pte_f[(m)*NPAGES+(v)])))
#define STARTABLE(m,mask) (PAGE_OK(m,mask,0) && PAGE_OK(m,mask,1) && PAGE_OK(m,mask,2))
#define POPC(mask)        (((mask) & 1) + (((mask) >> 1) & 1) + (((mask) >> 2) & 1))
/* a vpage set of batches(pages, batch) */
#define IS_BATCH(mask)    ((mask) < (1 << NPAGES) && POPC(mask) <= BATCH)

/* ------------------------------------------------------------ the kernel */

inline clearTlb(idx)
{
  tlb_v[idx] = 0; tlb_f[idx] = 0; tlb_w[idx] = 0; tlb_d[idx] = 0
}

/* ------------------------------------------------------------ the free list */

#ifndef LIFO
/* allocatableFrame(): the lowest free frame, NFRAMES if none */
inline lowestFree()
{
  lf_out = 0;
  do
  :: lf_out < NFRAMES && fr_owner[lf_out] != FREE -> lf_out++
  :: else -> break
  od
}

/* 'lowest-free' keeps the list sorted: taking a frame out of it, or putting one back,
 * is the change of fr_owner. */
#define takeFree(x) skip
#define pushFree(x) skip
#else
/* allocatableFrame(): the head of the free list, NFRAMES if none */
inline lowestFree()
{
  if
  :: nfree > 0 -> lf_out = freelist[0]
  :: else -> lf_out = NFRAMES
  fi
}

/* takeFree(x) (allocAnon, reuseFrame): splice frame x out of the list, wherever it is */
inline takeFree(x)
{
  fk = 0;
  do
  :: fk < nfree && freelist[fk] != (x) -> fk++
  :: else -> break
  od;
  if
  :: fk < nfree ->
     do
     :: fk + 1 < nfree -> freelist[fk] = freelist[fk + 1]; fk++
     :: else -> break
     od;
     nfree--;
     freelist[nfree] = 0
  :: else -> skip
  fi
}

/* pushFree(x) (folio_put, 'lifo'): freeList.unshift(x) */
inline pushFree(x)
{
  fk = nfree;
  do
  :: fk > 0 -> freelist[fk] = freelist[fk - 1]; fk--
  :: else -> break
  od;
  freelist[0] = x;
  nfree++
}
#endif

/* residentFrame(rf_m, rf_v) -> rf_out (NOFRAME if only in swap) */
inline residentFrame()
{
  if
  :: pte_kind[rf_m*NPAGES + rf_v] != NONE -> rf_out = pte_f[rf_m*NPAGES + rf_v]
  :: else ->
     rf_out = NOFRAME; rf_i = 0;
     do
     :: rf_i < NFRAMES && !(fr_owner[rf_i] == ANON && fr_x[rf_i] == rf_m && fr_y[rf_i] == rf_v) -> rf_i++
     :: rf_i < NFRAMES && fr_owner[rf_i] == ANON && fr_x[rf_i] == rf_m && fr_y[rf_i] == rf_v ->
        rf_out = rf_i; break
     :: else -> break
     od
  fi
}

/* homeValue(rf_m, rf_v) -> ci_home */
inline homeValue()
{
  residentFrame();
  if
  :: rf_out == NOFRAME -> ci_home = swap[rf_m*NPAGES + rf_v]
  :: else -> ci_home = fr_data[rf_out]
  fi
}

/* flushTlbMulti(_, fl_mask, {all}) */
inline flushAll()
{
  for (fl_i : 0 .. NCPU-1) {
    if
    :: (fl_mask >> fl_i) & 1 ->
       for (fl_j : 0 .. NSLOT-1) { clearTlb(fl_i*NSLOT + fl_j) }
    :: else -> skip
    fi
  }
}

/* flushTlbMulti(_, fl_mask, {page: fl_slot = mm*pages+vpage}) */
inline flushPage()
{
  for (fl_i : 0 .. NCPU-1) {
    if
    :: (fl_mask >> fl_i) & 1 -> clearTlb(fl_i*NSLOT + fl_slot)
    :: else -> skip
    fi
  }
}

/* folio_put(fp_f) */
inline folio_put()
{
  fr_ref[fp_f] = fr_ref[fp_f] - 1;
  if
  :: fr_ref[fp_f] == 0 -> fr_owner[fp_f] = FREE; fr_x[fp_f] = 0; fr_y[fp_f] = 0; fr_dirty[fp_f] = 0;
     pushFree(fp_f)
  :: else -> skip
  fi
}

/* try_to_unmap_flush(t) */
inline try_to_unmap_flush(t)
{
  if
  :: ubc_flush[t] ->
     fl_mask = ubc_mask[t]; flushAll();
     ubc_mask[t] = 0; ubc_flush[t] = 0; ubc_w[t] = 0
  :: else -> skip
  fi
}

/* successor() of task st_t's pc: moves it on, or sets st_null past the end */
inline successor()
{
  if
  :: IS_EACH(t_job[st_t], t_phase[st_t]) &&
     t_step[st_t] + 1 < PLEN(t_job[st_t], t_phase[st_t]) ->
     t_step[st_t] = t_step[st_t] + 1
  :: IS_EACH(t_job[st_t], t_phase[st_t]) &&
     t_step[st_t] + 1 >= PLEN(t_job[st_t], t_phase[st_t]) &&
     t_folio[st_t] + 1 < t_n[st_t] ->
     t_folio[st_t] = t_folio[st_t] + 1; t_step[st_t] = 0
  :: else ->
     if
     :: t_phase[st_t] + 1 < NPH(t_job[st_t]) ->
        t_phase[st_t] = t_phase[st_t] + 1; t_folio[st_t] = 0; t_step[st_t] = 0
     :: else -> st_null = 1
     fi
  fi
}

/* settle(st_t, pc or null): skip steps that do not apply; idle at the end */
inline settle()
{
  do
  :: st_null -> break
  :: else ->
     st_sc = PSTEP(t_job[st_t], t_phase[st_t], t_step[st_t]);
     st_each = IS_EACH(t_job[st_t], t_phase[st_t]);
     st_fi = st_t*BATCH + t_folio[st_t];
     if
     :: st_sc == S_PAGEOUT -> st_ap = (st_each && fr_dirty[f_src[st_fi]])
     :: st_sc == S_FLUSH_DIRTY -> st_ap = (ubc_w[st_t] && (!st_each || fr_dirty[f_src[st_fi]]))
     :: st_sc == S_FLUSH -> st_ap = ubc_flush[st_t]
     :: else -> st_ap = 1
     fi;
     if
     :: st_ap -> break
     :: else -> successor()
     fi
  od;
  if
  :: st_null ->
     t_job[st_t] = IDLE;
     for (st_fi : st_t*BATCH .. st_t*BATCH + BATCH - 1) {
       f_mm[st_fi] = 0; f_vp[st_fi] = 0; f_src[st_fi] = 0; f_dst1[st_fi] = 0
     }
     t_n[st_t] = 0; t_phase[st_t] = 0; t_folio[st_t] = 0; t_step[st_t] = 0
  :: else -> skip
  fi
}

/* unmapOne(task ks_t, folio ks_fi, leave migration entry if mig) */
inline unmapOne(mig)
{
  ks_m = f_mm[ks_fi]; ks_v = f_vp[ks_fi]; ks_src = f_src[ks_fi]; ks_p = ks_m*NPAGES + ks_v;
  if
  :: pte_kind[ks_p] == PRESENT && pte_f[ks_p] == ks_src ->
     ks_w = pte_w[ks_p]; ks_d = pte_d[ks_p];
     if
     :: mig -> pte_kind[ks_p] = MIGRATION; pte_f[ks_p] = ks_src; pte_w[ks_p] = ks_w;
               pte_d[ks_p] = ks_d; pte_a[ks_p] = 0
     :: else -> pte_kind[ks_p] = NONE; pte_f[ks_p] = 0; pte_w[ks_p] = 0; pte_d[ks_p] = 0; pte_a[ks_p] = 0
     fi;
     fl_mask = mm_cpumask[ks_m]; fl_slot = ks_p;
     if
     :: BATCH_FLUSH(ks_job) && (mm_cpumask[ks_m] & ~(1 << t_cpu[ks_t])) != 0 ->  /* should_defer_flush */
        if
        :: ks_d && !DEFER_DIRTY(ks_job) -> flushPage()
        :: else ->                                     /* set_tlb_ubc_flush_pending */
           ubc_mask[ks_t] = ubc_mask[ks_t] | mm_cpumask[ks_m];
           ubc_flush[ks_t] = 1;
           if :: ks_d -> ubc_w[ks_t] = 1 :: else -> skip fi;
           tlb_flush_batched[ks_m] = 1
        fi
     :: else -> flushPage()                            /* ptep_clear_flush() */
     fi;
     if :: ks_d -> fr_dirty[ks_src] = 1 :: else -> skip fi;
     fr_ref[ks_src] = fr_ref[ks_src] - 1
  :: else -> skip            /* page_vma_mapped_walk() finds no mapping */
  fi
}

/* kernelStep(ks_t) */
inline kernelStep()
{
  ks_job = t_job[ks_t];
  ks_sc = PSTEP(ks_job, t_phase[ks_t], t_step[ks_t]);
  ks_fi = ks_t*BATCH + t_folio[ks_t];
  ks_src = f_src[ks_fi]; ks_dst = (f_dst1[ks_fi] > 0 -> f_dst1[ks_fi] - 1 : NOFRAME); ks_p = f_mm[ks_fi]*NPAGES + f_vp[ks_fi];
  if
  :: ks_sc == S_UNMAP_ONE -> printf("T%d try_to_unmap_one(vpage %d)\n", ks_t, f_vp[ks_fi])
  :: ks_sc == S_MIGRATE_ONE -> printf("T%d try_to_migrate_one(vpage %d)\n", ks_t, f_vp[ks_fi])
  :: ks_sc == S_FLUSH -> printf("T%d try_to_unmap_flush\n", ks_t)
  :: ks_sc == S_FLUSH_DIRTY -> printf("T%d try_to_unmap_flush_dirty\n", ks_t)
  :: ks_sc == S_PAGEOUT -> printf("T%d pageout(vpage %d)\n", ks_t, f_vp[ks_fi])
  :: ks_sc == S_FREE -> printf("T%d free_unref_folios(vpage %d)\n", ks_t, f_vp[ks_fi])
  :: ks_sc == S_MOVE -> printf("T%d move_to_new_folio(vpage %d)\n", ks_t, f_vp[ks_fi])
  :: ks_sc == S_REMOVE -> printf("T%d remove_migration_ptes(vpage %d)\n", ks_t, f_vp[ks_fi])
  :: ks_sc == S_DONE -> printf("T%d migrate_folio_done(vpage %d)\n", ks_t, f_vp[ks_fi])
  fi;
  if
  :: ks_sc == S_UNMAP_ONE -> unmapOne(0)
  :: ks_sc == S_MIGRATE_ONE -> unmapOne(1)
  :: ks_sc == S_FLUSH -> try_to_unmap_flush(ks_t)
  :: ks_sc == S_FLUSH_DIRTY -> if :: ubc_w[ks_t] -> try_to_unmap_flush(ks_t) :: else -> skip fi
  :: ks_sc == S_PAGEOUT -> swap[ks_p] = fr_data[ks_src]; fr_dirty[ks_src] = 0
  :: ks_sc == S_FREE -> fp_f = ks_src; folio_put()
  :: ks_sc == S_MOVE -> fr_data[ks_dst] = fr_data[ks_src]; fr_dirty[ks_dst] = fr_dirty[ks_src]
  :: ks_sc == S_REMOVE ->
     if
     :: pte_kind[ks_p] == MIGRATION && pte_f[ks_p] == ks_src ->
        pte_kind[ks_p] = PRESENT; pte_f[ks_p] = ks_dst; pte_a[ks_p] = 0;  /* w, d kept */
        fr_ref[ks_dst] = fr_ref[ks_dst] + 1
     :: else -> skip
     fi
  :: ks_sc == S_DONE -> fp_f = ks_src; folio_put(); fp_f = ks_dst; folio_put()
  fi;
  st_t = ks_t; st_null = 0;
  successor();
  settle()
}

/* startBatch(hb_job, hb_t, hb_m, vpages = bits of hb_mask) and startJob() */
inline startBatch()
{
  for (hb_v : 0 .. NPAGES-1) {
    if
    :: (hb_mask >> hb_v) & 1 ->
       hb_p = hb_m*NPAGES + hb_v; hb_src = pte_f[hb_p];
       fr_ref[hb_src] = fr_ref[hb_src] + 1;          /* isolation takes a reference */
       hb_k = hb_t*BATCH + t_n[hb_t];
       f_mm[hb_k] = hb_m; f_vp[hb_k] = hb_v; f_src[hb_k] = hb_src;
       if
       :: hb_job == MIGRATE ->
          lowestFree(); hb_dst = lf_out; takeFree(hb_dst);
          fr_owner[hb_dst] = ANON; fr_x[hb_dst] = hb_m; fr_y[hb_dst] = hb_v;
          fr_data[hb_dst] = 0; fr_ref[hb_dst] = 1; fr_dirty[hb_dst] = 0;
          f_dst1[hb_k] = hb_dst + 1
       :: else -> f_dst1[hb_k] = 0
       fi;
       t_n[hb_t] = t_n[hb_t] + 1
    :: else -> skip
    fi
  }
  if
  :: hb_job == MIGRATE -> printf("T%d migrate_pages mm %d vpage-mask %d\n", hb_t, hb_m, hb_mask)
  :: else -> printf("T%d shrink_folio_list mm %d vpage-mask %d\n", hb_t, hb_m, hb_mask)
  fi;
  t_job[hb_t] = hb_job;
  t_phase[hb_t] = 0; t_folio[hb_t] = 0; t_step[hb_t] = 0;
  st_t = hb_t; st_null = 0;
  settle()
}

/* userAccess(hc, hv, hval: 0 load, else the value stored) */
#define O_HIT      1
#define O_SETDIRTY 2
#define O_WALK     3
#define O_FAULT    4
inline access()
{
  am = cpu_mm[hc]; ap = am*NPAGES + hv; ai = hc*NSLOT + ap;
  if
  :: hval == 0 -> printf("load cpu %d vpage %d\n", hc, hv)
  :: else -> printf("store cpu %d vpage %d value %d\n", hc, hv, hval)
  fi;
  aframe = 0; adrop = 0;
  /* dirtyBitWriteThroughTrap, pre-state half */
  dbt_pre = (hval != 0 && tlb_v[ai] && tlb_w[ai] && !tlb_d[ai] &&
             !(pte_kind[ap] == PRESENT && pte_w[ap]));
  if
  :: tlb_v[ai] ->
     if
     :: hval == 0 -> ao = O_HIT; aframe = tlb_f[ai]
     :: hval != 0 && tlb_w[ai] && tlb_d[ai] -> ao = O_HIT; aframe = tlb_f[ai]
     :: hval != 0 && tlb_w[ai] && !tlb_d[ai] && pte_kind[ap] == PRESENT && pte_w[ap] ->
        ao = O_SETDIRTY; aframe = tlb_f[ai]
     :: else -> ao = O_FAULT; adrop = 1      /* x86 traps: faultOutcome(dropTlb) */
     fi
  :: else ->
     if
     :: pte_kind[ap] == PRESENT && (pte_w[ap] || hval == 0) -> ao = O_WALK; aframe = pte_f[ap]
     :: else -> ao = O_FAULT
     fi
  fi;
  if
  :: ao == O_HIT -> skip
  :: ao == O_SETDIRTY ->
     pte_d[ap] = 1; pte_a[ap] = 1; tlb_d[ai] = 1
  :: ao == O_WALK ->
     pte_a[ap] = 1;
     if :: hval != 0 -> pte_d[ap] = 1 :: else -> skip fi;
     tlb_v[ai] = 1; tlb_f[ai] = aframe; tlb_w[ai] = pte_w[ap]; tlb_d[ai] = pte_d[ap]
  :: ao == O_FAULT ->
     if :: adrop -> clearTlb(ai) :: else -> skip fi;
     if
     :: pte_kind[ap] == PRESENT ->                  /* do_wp_page */
        pte_w[ap] = 1; pte_d[ap] = 1; pte_a[ap] = 1
     :: else ->                                     /* do_swap_page ('none'; the guard excludes waits) */
        lowestFree(); afr = lf_out; takeFree(afr);
        fr_owner[afr] = ANON; fr_x[afr] = am; fr_y[afr] = hv;
        fr_data[afr] = swap[ap]; fr_ref[afr] = 1; fr_dirty[afr] = 0;
        pte_kind[ap] = PRESENT; pte_f[ap] = afr; pte_w[ap] = 1; pte_d[ap] = 0; pte_a[ap] = 1
     fi
  fi;
  if
  :: hval != 0 && ao != O_FAULT -> fr_data[aframe] = hval; ghost[ap] = hval
  :: else -> skip
  fi;
  dirtyBitWriteThroughTrap = !(dbt_pre && tlb_v[ai] && tlb_d[ai]);
  assert(dirtyBitWriteThroughTrap)
}

/* -DDUMP (and pan compiled with -DPRINTF): print every state reached, in the byte
 * layout of src/encode.ts, to diff against the explorer's state set. */
#ifdef DUMP
hidden byte dump_tag;
inline dumpState(tag)
{
  dump_tag = tag;
  printf("%c", dump_tag);
  for (ci_c : 0 .. NCPU-1) {
    printf(",%d", cpu_mm[ci_c]);
    for (ci_s : 0 .. NSLOT-1) {
      ci_e = ci_c*NSLOT + ci_s;
      printf(",%d", (tlb_v[ci_e] -> 1 + tlb_f[ci_e]*4 + tlb_w[ci_e]*2 + tlb_d[ci_e] : 0))
    }
  }
  for (ci_m : 0 .. NMM-1) {
    printf(",%d,%d", mm_cpumask[ci_m], tlb_flush_batched[ci_m]);
    for (ci_v : 0 .. NPAGES-1) {
      ci_p = ci_m*NPAGES + ci_v;
      printf(",%d,%d", pte_kind[ci_p] + pte_w[ci_p]*4 + pte_d[ci_p]*8 + pte_a[ci_p]*16, pte_f[ci_p])
    }
    for (ci_v : 0 .. NPAGES-1) { printf(",%d", swap[ci_m*NPAGES + ci_v]) }
  }
  for (ci_e : 0 .. NFRAMES-1) {
    printf(",%d,%d,%d,%d,%d,%d", fr_owner[ci_e], fr_x[ci_e], fr_y[ci_e], fr_data[ci_e], fr_ref[ci_e], fr_dirty[ci_e])
  }
  for (ci_t : 0 .. NTASKS-1) {
    printf(",%d,%d,%d", t_cpu[ci_t], t_job[ci_t], t_n[ci_t]);
    for (ci_k : 0 .. BATCH-1) {
      ci_e = ci_t*BATCH + ci_k;
      printf(",%d,%d,%d,%d", f_mm[ci_e], f_vp[ci_e], f_src[ci_e], f_dst1[ci_e])
    }
    printf(",%d,%d,%d,%d,%d,%d", t_phase[ci_t], t_folio[ci_t], t_step[ci_t], ubc_mask[ci_t], ubc_flush[ci_t], ubc_w[ci_t])
  }
  for (ci_p : 0 .. NPTE-1) { printf(",%d", ghost[ci_p]) }
#ifdef LIFO
  printf(",%d", nfree);
  for (ci_e : 0 .. NFRAMES-1) { printf(",%d", freelist[ci_e]) }
#else
  printf(",%d", FREE_COUNT);                 /* the free list, ascending, then 0s */
  for (ci_e : 0 .. NFRAMES-1) {
    if :: fr_owner[ci_e] == FREE -> printf(",%d", ci_e) :: else -> skip fi
  }
  for (ci_e : FREE_COUNT .. NFRAMES-1) { printf(",0") }
#endif
  printf("\n")
}
#else
#define dumpState(tag) skip
#endif

/* -------------------------------------------------------- the invariants */

/* The pre-state half of dirtyNeverDroppedClean. */
inline preStep()
{
  dumpState('P');
  for (ci_p : 0 .. NPTE-1) {
    rf_m = ci_p / NPAGES; rf_v = ci_p % NPAGES;
    residentFrame();
    pre_res[ci_p] = rf_out;
    if :: rf_out != NOFRAME -> pre_data[ci_p] = fr_data[rf_out] :: else -> pre_data[ci_p] = 0 fi
  }
}

inline checkInvariants()
{
  /*
   * Not an invariant of the model but of this encoding: what encode.ts does not keep is
   * 0, and tlb_ubc.flush_required implies some mm's tlb_flush_batched. It also makes
   * Spin read pte_a and tlb_flush_batched, which nothing else reads: Spin hides
   * write-only variables from the state vector (unless spin -o2), and without this read
   * it would merge states the explorer tells apart (6588 states instead of 7193).
   */
  for (ci_p : 0 .. NPTE-1) {
    wellFormed = ((pte_kind[ci_p] == PRESENT || pte_a[ci_p] == 0) &&
                  (pte_kind[ci_p] != NONE || (pte_f[ci_p] == 0 && pte_w[ci_p] == 0 && pte_d[ci_p] == 0)));
    assert(wellFormed)
  }
  for (ci_t : 0 .. NTASKS-1) {
    ci_home = 0;
    for (ci_m : 0 .. NMM-1) { ci_home = ci_home | tlb_flush_batched[ci_m] }
    wellFormed = (!ubc_flush[ci_t] || ci_home);
    assert(wellFormed)
  }
  /* dirtyNeverDroppedClean (step) */
  for (ci_p : 0 .. NPTE-1) {
    rf_m = ci_p / NPAGES; rf_v = ci_p % NPAGES;
    residentFrame();
    dirtyNeverDroppedClean = !(pre_res[ci_p] != NOFRAME && rf_out == NOFRAME &&
                               pre_data[ci_p] != swap[ci_p]);
    assert(dirtyNeverDroppedClean)
  }
  /* noLostWrite */
  for (ci_p : 0 .. NPTE-1) {
    rf_m = ci_p / NPAGES; rf_v = ci_p % NPAGES;
    homeValue();
    noLostWrite = (ci_home == ghost[ci_p]);
    assert(noLostWrite)
  }
  /* loadsSeeLastStore */
  for (ci_c : 0 .. NCPU-1) {
    for (ci_v : 0 .. NPAGES-1) {
      rf_m = cpu_mm[ci_c]; rf_v = ci_v; ci_e = ci_c*NSLOT + rf_m*NPAGES + ci_v;
      if
      :: tlb_v[ci_e] -> ci_read = fr_data[tlb_f[ci_e]]
      :: else -> homeValue(); ci_read = ci_home
      fi;
      loadsSeeLastStore = (ci_read == ghost[rf_m*NPAGES + ci_v]);
      assert(loadsSeeLastStore)
    }
  }
  /* noAccessToFreedFrame */
  for (ci_c : 0 .. NCPU-1) {
    for (ci_s : 0 .. NSLOT-1) {
      ci_e = ci_c*NSLOT + ci_s;
      noAccessToFreedFrame = (!tlb_v[ci_e] ||
        (fr_owner[tlb_f[ci_e]] == ANON && fr_x[tlb_f[ci_e]] == ci_s / NPAGES &&
         fr_y[tlb_f[ci_e]] == ci_s % NPAGES));
      assert(noAccessToFreedFrame)
    }
  }
  /* noStaleWritableTlbAfterRemap */
  for (ci_t : 0 .. NTASKS-1) {
    for (ci_k : 0 .. BATCH-1) {
      ci_e = ci_t*BATCH + ci_k;
      ci_p = f_mm[ci_e]*NPAGES + f_vp[ci_e];
      if
      :: ci_k < t_n[ci_t] && f_dst1[ci_e] != 0 && pte_kind[ci_p] == PRESENT &&
         pte_f[ci_p] == f_dst1[ci_e] - 1 ->
         for (ci_c : 0 .. NCPU-1) {
           noStaleWritableTlbAfterRemap = !(tlb_v[ci_c*NSLOT + ci_p] &&
             tlb_f[ci_c*NSLOT + ci_p] == f_src[ci_e] && tlb_w[ci_c*NSLOT + ci_p]);
           assert(noStaleWritableTlbAfterRemap)
         }
      :: else -> skip
      fi
    }
  };
  dumpState('S');
  skip   /* a loop may not be the last statement of a d_step: its break would leave it */
}


/* ------------------------------------------------------------ the actions */

#define LOAD_STORE(c,v,val) \
  :: d_step { ((c) < NCPU && (v) < NPAGES && (val) <= NVALUES && !ACCESS_WAITS(c,v,(val) != 0)) -> \
       preStep(); hc = c; hv = v; hval = val; access(); checkInvariants() }
#define ACCESSES(c,v) LOAD_STORE(c,v,0) LOAD_STORE(c,v,1) LOAD_STORE(c,v,2) LOAD_STORE(c,v,3)

#define TLB_EVICT(c,m,v) \
  :: d_step { ((c) < NCPU && (m) < NMM && (v) < NPAGES && tlb_v[(c)*NSLOT + (m)*NPAGES + (v)]) -> \
       preStep(); printf("tlbEvict cpu %d mm %d vpage %d\n", c, m, v); \
       clearTlb((c)*NSLOT + (m)*NPAGES + (v)); checkInvariants() }
#define EVICTS(c) TLB_EVICT(c,0,0) TLB_EVICT(c,0,1) TLB_EVICT(c,0,2) \
                  TLB_EVICT(c,1,0) TLB_EVICT(c,1,1) TLB_EVICT(c,1,2)

#define REUSE_FRAME(f) \
  :: d_step { ((f) < NFRAMES && fr_owner[f] == FREE) -> \
       preStep(); printf("reuseFrame %d\n", f); takeFree(f); fr_owner[f] = FILE; fr_x[f] = 0; fr_y[f] = f; \
       fr_data[f] = FOREIGN_DATA; fr_ref[f] = 1; fr_dirty[f] = 0; checkInvariants() }

/* migrate_pages / shrink_folio_list (task t, mm m, vpages = bits of mask) */
#define START(job,t,m,mask) \
  :: d_step { ((t) < NTASKS && (m) < NMM && IS_BATCH(mask) && t_job[t] == IDLE && \
               STARTABLE(m,mask) && ((job) == RECLAIM || FREE_COUNT >= POPC(mask))) -> \
       preStep(); hb_job = job; hb_t = t; hb_m = m; hb_mask = mask; startBatch(); checkInvariants() }
#define STARTS(t,m) START(MIGRATE,t,m,1) START(MIGRATE,t,m,2) START(MIGRATE,t,m,3) START(MIGRATE,t,m,4) \
                    START(MIGRATE,t,m,5) START(MIGRATE,t,m,6) START(MIGRATE,t,m,7) \
                    START(RECLAIM,t,m,1) START(RECLAIM,t,m,2) START(RECLAIM,t,m,3) START(RECLAIM,t,m,4) \
                    START(RECLAIM,t,m,5) START(RECLAIM,t,m,6) START(RECLAIM,t,m,7)

#define KERNEL_STEP(t) \
  :: d_step { ((t) < NTASKS && t_job[t] != IDLE) -> \
       preStep(); ks_t = t; kernelStep(); checkInvariants() }

active proctype machine()
{
  d_step {                                   /* initialState(config) */
    for (i0 : 0 .. NCPU-1) { cpu_mm[i0] = CPU_MM(i0) }
    for (i0 : 0 .. NMM-1) {
      mm_cpumask[i0] = 0;
      for (i1 : 0 .. NCPU-1) {
        if :: CPU_MM(i1) == i0 -> mm_cpumask[i0] = mm_cpumask[i0] | (1 << i1) :: else -> skip fi
      }
    }
    for (i0 : 0 .. NPTE-1) {                 /* frame i backs page i */
      pte_kind[i0] = PRESENT; pte_f[i0] = i0; pte_w[i0] = 1;
      fr_owner[i0] = ANON; fr_x[i0] = i0 / NPAGES; fr_y[i0] = i0 % NPAGES; fr_ref[i0] = 1
    }
    for (i0 : 0 .. NTASKS-1) { t_cpu[i0] = TASK_CPU(i0) }
#ifdef LIFO
    nfree = NFRAMES - NPTE;                  /* the frames no page uses, ascending */
    for (i0 : 0 .. NFRAMES-NPTE-1) { freelist[i0] = NPTE + i0 }
#endif
    i0 = 0; i1 = 0;
    dumpState('S')
  };
end:
  do
  ACCESSES(0,0) ACCESSES(0,1) ACCESSES(0,2)
  ACCESSES(1,0) ACCESSES(1,1) ACCESSES(1,2)
  ACCESSES(2,0) ACCESSES(2,1) ACCESSES(2,2)
  EVICTS(0) EVICTS(1) EVICTS(2)
  REUSE_FRAME(0) REUSE_FRAME(1) REUSE_FRAME(2) REUSE_FRAME(3)
  REUSE_FRAME(4) REUSE_FRAME(5) REUSE_FRAME(6) REUSE_FRAME(7)
  STARTS(0,0) STARTS(0,1) STARTS(1,0) STARTS(1,1)
  KERNEL_STEP(0) KERNEL_STEP(1)
  od
}
