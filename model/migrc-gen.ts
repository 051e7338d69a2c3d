// migrc's generations (seed 001): before(), as v3 compares them, their renumbering, and the
// stamp a CPU's local flush leaves (migrc_tlb_local_end()). Below the flush code, which
// stamps them, and below migrc's own steps, which compare them.

import type { Draft } from 'immer';
import type { State } from './state.js';
import type { MigrcPolicy } from './variant-schema.js';

/**
 * Do generations wrap here? In a world with a narrow counter (Config.migrcGenBits) unless
 * the policy's counters are 64-bit (wideGen).
 */
const wraps = (s: State, p: MigrcPolicy | null): boolean =>
  s.migrc.genBits !== undefined && p?.wideGen !== true;

/**
 * v3's before(a, b), `a - b < 0` on int: in a world whose counters wrap, the difference
 * taken modulo 2^bits and read as a signed number, so `a` counts as before `b` only when
 * it is less than half the range behind; otherwise plain order.
 */
export function before(s: State, p: MigrcPolicy | null, a: number, b: number): boolean {
  if (!wraps(s, p)) return a < b;
  return ((a - b) & genMask(s)) > genMask(s) >> 1;
}

/** The values a wrapping counter takes: 0 to 2^bits - 1. */
const genMask = (s: State): number => (1 << s.migrc.genBits!) - 1;

/**
 * Generations are only ever compared; renumber them by rank so the state space stays
 * finite. Counters that wrap stay as they are: they are finite already, and their
 * comparison depends on the distance between them, which ranks would lose.
 */
export function normaliseGens(d: Draft<State>, p: MigrcPolicy | null = null): void {
  if (wraps(d as State, p)) return;
  // (in the explorer's inner loop: a handful of small numbers, so no Set, Map or closure)
  const values = SEEN;
  values.length = 0;
  note(values, d.migrc.gen);
  for (const c of d.cpus) note(values, c.migrc_done);
  for (const r of d.migrc.reqs) note(values, r.gen);
  for (const t of d.tasks) if (t.mreq !== null) note(values, t.mreq.gen);
  values.sort(ascending);
  // already ranks 0..n-1, as after every earlier renumbering: nothing to do
  if (values[values.length - 1] === values.length - 1) return;
  d.migrc.gen = values.indexOf(d.migrc.gen);
  for (const c of d.cpus) c.migrc_done = values.indexOf(c.migrc_done);
  for (const r of d.migrc.reqs) r.gen = values.indexOf(r.gen);
  for (const t of d.tasks) if (t.mreq !== null) t.mreq.gen = values.indexOf(t.mreq.gen);
}

const SEEN: number[] = [];
const ascending = (a: number, b: number): number => a - b;
function note(values: number[], v: number): void {
  if (!values.includes(v)) values.push(v);
}

/**
 * migrc_tlb_local_end() after the flush_tlb_local() that flush_tlb_func() makes for a full
 * flush on `cpu` (worlds with PCID): migrc_gen, read before the flush, goes into migrc_done
 * if it is newer. With PCID that flush empties only the ASID loaded now; the entries other
 * ASIDs keep are left to tlb_gen, which the deferral bumped (arch_tlbbatch_add_pending()).
 */
export function migrc_tlb_local_end(d: Draft<State>, cpu: number): void {
  const gen = d.migrc.gen;
  // (flush_tlb_func() runs in the explorer's inner loop: renumber only if a value changed)
  if (!before(d as State, null, d.cpus[cpu]!.migrc_done, gen)) return;
  d.cpus[cpu]!.migrc_done = gen;
  normaliseGens(d, null);
}

/**
 * flush_tlb_local() on a context switch (no PCID): read migrc_gen, flush, and record it
 * in migrc_done if it is newer (migrc_tlb_local_end(): `if (before(done, gen))`).
 */
export function flush_tlb_local(d: Draft<State>, p: MigrcPolicy | null, cpu: number): void {
  const gen = d.migrc.gen;
  d.cpus[cpu]!.tlb.fill(null);
  d.cost.fullFlushes += 1;
  if (before(d as State, p, d.cpus[cpu]!.migrc_done, gen)) d.cpus[cpu]!.migrc_done = gen;
  normaliseGens(d, p);
}

/** atomic_inc_return(&migrc_gen), on an int: the new generation. */
export function migrc_gen_inc(d: Draft<State>, p: MigrcPolicy | null): number {
  d.migrc.gen = wraps(d as State, p) ? (d.migrc.gen + 1) & genMask(d as State) : d.migrc.gen + 1;
  return d.migrc.gen;
}
