// Helpers shared by the model and property tests: variants by id, stepping the model,
// action builders, small immer edits of a state, and PTE / TLB-entry builders.

import { readFileSync } from 'node:fs';
import { type Draft, produce } from 'immer';
import { expect } from 'vitest';
import { type Action, apply, enabled, next } from '../model/actions.js';
import { CONFIGS, type Config } from '../model/config.js';
import { allActions, enabledActions } from '../model/enumerate.js';
import { tlbSlot } from '../model/hardware.js';
import { findVariant } from '../model/registry.js';
import { initialState, type Pte, type State, type TlbEntry } from '../model/state.js';
import { defineVariant, type Variant, type VariantSpec } from '../model/variant.js';
import { findInvariant, type Step } from '../properties/invariants.js';
import { checkVariant } from '../src/check/check.js';
import { isOwnRow, type Manifest, type ManifestRow, parseManifest } from '../src/check/manifest.js';
import { main } from '../src/cli/main.js';
import { copyState } from '../src/codec/encode.js';
import { explore } from '../src/engine/explore.js';
import { rng } from '../src/engine/swarm.js';
import { replay } from '../src/engine/trace.js';
import type { RaceReportInput } from '../src/report/report.js';

// ---------------------------------------------------------------------------------------
// Variants and stepping

/** The registered variant `id`; throws if there is none. */
export function variant(id: string): Variant {
  const v = findVariant(id);
  if (v === undefined) throw new Error(`no variant ${id}`);
  return v;
}

/** `base` with `policy` laid over it: a protocol built for one test, not registered. */
export const derived = (id: string, base: Variant, policy: NonNullable<VariantSpec['policy']>): Variant =>
  defineVariant({ id, title: id, source: 'a test', base, policy });

/** One step of a run: the state before, the action taken and the state after. */
export interface Taken extends Step {
  readonly post: State;
}

/** Take each action in turn from `s0`, asserting each is enabled first; returns every step. */
export function run(v: Variant, s0: State, actions: readonly Action[]): Taken[] {
  const taken: Taken[] = [];
  let s = s0;
  for (const action of actions) {
    expect(enabled(v, s, action), `${v.id}: ${JSON.stringify(action)} is not enabled`).toBe(true);
    const post = next(v, s, action);
    taken.push({ pre: s, action, post });
    s = post;
  }
  return taken;
}

/** The state after taking `actions` from `s0` (each asserted enabled), as {@link run}. */
export const finalState = (v: Variant, s0: State, actions: readonly Action[]): State =>
  run(v, s0, actions).at(-1)?.post ?? s0;

/** Run task `task`'s batch or call to its end (at most 20 kernel steps, each asserted enabled). */
export function drain(v: Variant, s: State, task: number): State {
  let now = s;
  for (let i = 0; i < 20 && now.tasks[task]!.job !== 'idle'; i++)
    now = finalState(v, now, [{ op: 'kernelStep', task }]);
  return now;
}

// ---------------------------------------------------------------------------------------
// The command line

/** Run the CLI in-process; returns its exit code and each stdout and stderr line. */
export async function runCliLines(
  argv: readonly string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

/** Run the CLI in-process; returns its exit code, what it printed and each stderr line. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err };
}

/**
 * The search reduced by symmetry reaches every verdict of the full one, with shortest
 * counterexamples as long, from fewer states; `replays`: its counterexamples replay from
 * the real initial state. (symmetry.test.ts and symmetry.full.test.ts)
 */
export function sameVerdictsReduced(v: Variant, config: Config, replays = true): void {
  const full = checkVariant(v, { config, engine: 'exhaustive' });
  const reduced = checkVariant(v, { config, engine: 'exhaustive', symmetry: true });
  expect(reduced.ok).toBe(full.ok);
  expect(reduced.invariants.map((i) => [i.invariant, i.verdict, i.counterexample?.length])).toEqual(
    full.invariants.map((i) => [i.invariant, i.verdict, i.counterexample?.length]),
  );
  for (let k = 0; k < full.invariants.length; k++)
    expect(reduced.invariants[k]!.states!).toBeLessThan(full.invariants[k]!.states!);
  if (replays)
    for (const f of reduced.failures) expect(f.replay.violation?.invariant.id).toBe(f.invariant.id);
}

/**
 * The variants that behave differently in tiny-lifo, one of each: a policy switch read only
 * by a system call tiny has not (mremapFlush by mremap(), arch.protnoneAccessible by NUMA
 * balancing, numaIsolation by NUMA hinting faults, pinnedMigration by pins, munmapZapLock by munmap()) makes a variant there its base again.
 */
export function distinctInTiny(variants: readonly Variant[]): Variant[] {
  const seen = new Set<string>();
  return variants.filter((v) => {
    const {
      mremapFlush: _m,
      pinnedMigration: _p,
      numaIsolation: _i,
      munmapZapLock: _z,
      arch,
      ...rest
    } = v.policy;
    const { protnoneAccessible: _n, ...archRest } = arch;
    const key = JSON.stringify({ ...rest, arch: archRest });
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The variants symmetry.test.ts searches in tiny-lifo with and without the reduction over
 * frames, one or two of each family, frames freed and reused among them; the rest of
 * distinctInTiny() are in the full tier.
 */
export const FRAME_SAMPLE = [
  'sync',
  'reclaim-batched-dirty',
  'migrate-batched-wrong-copy-before-flush',
  'reclaim-batched-wrong-free-before-flush',
  'reclaim-batched-dirty-refault-window',
  'migrc-fixed',
  'migrc-wrong-free-src-early',
  'batch-copy',
];

/** The variants symmetry.test.ts searches in tiny-3cpu with and without the reduction; the rest are in the full tier. */
export const THREE_CPU_SAMPLE = [
  'migrate-batched',
  'migrate-batched-wrong-copy-before-flush',
  'reclaim-batched-dirty-v4.12-no-batched-pending',
];

/**
 * To its first violation (all invariants, as `check` starts), the reduced search has the
 * full one's outcome and shortest counterexample length, from no more states; its
 * counterexample replays in real CPU numbers, and the full search finds one as short.
 */
export function sameOutcomeReduced(v: Variant, config: Config): void {
  const full = explore(v, config);
  const reduced = explore(v, config, { symmetry: true });
  expect(reduced.complete).toBe(full.complete);
  expect(reduced.violation?.actions.length).toBe(full.violation?.actions.length);
  expect(reduced.distinct).toBeLessThanOrEqual(full.distinct);
  if (reduced.violation !== null) {
    expect(reduced.violation.replay.violation?.invariant.id).toBe(reduced.violation.invariant.id);
    const same = explore(v, config, { invariants: [reduced.violation.invariant] });
    expect(same.violation?.actions.length).toBe(reduced.violation.actions.length);
  }
}

// ---------------------------------------------------------------------------------------
// Actions

/** A user load by `cpu` of `vpage` in the mm that CPU runs. */
export const load = (cpu: number, vpage: number): Action => ({ op: 'load', cpu, vpage });

/**
 * The last CPU, unless it runs the fork child (nothing mapped at the start) or an mm that
 * maps a file MAP_PRIVATE (its first store is a fault that copies): then the last of mm 0.
 */
export const lastUserCpu = (config: Config): number => {
  const last = config.cpus - 1;
  const mm = config.cpuMm[last]!;
  return mm === config.forkChild || config.mapPrivate?.includes(mm) ? config.cpuMm.lastIndexOf(0) : last;
};
/** A user store of `value` by `cpu` to `vpage`. */
export const store = (cpu: number, vpage: number, value: number): Action => ({
  op: 'store',
  cpu,
  vpage,
  value,
});
/** One step of kernel task `task`. */
export const kstep = (task: number): Action => ({ op: 'kernelStep', task });
/** `n` kernel steps of `task` in a row. */
export const ksteps = (task: number, n: number): Action[] => Array.from({ length: n }, () => kstep(task));
/** Task `task` starts migrating `vpages` of `mm`. */
export const migrate = (task: number, mm: number, vpages: number[]): Action => ({
  op: 'migrate_pages',
  task,
  mm,
  vpages,
});
/** Task `task` starts reclaiming `vpages` of `mm`. */
export const shrink = (task: number, mm: number, vpages: number[]): Action => ({
  op: 'shrink_folio_list',
  task,
  mm,
  vpages,
});

// ---------------------------------------------------------------------------------------
// A counterexample for the report, trace and timeline tests

/**
 * migrate-batched-wrong-copy-before-flush on small: CPU 1 stores 2 through its stale entry
 * after the copy, and the remap loses it (noLostWrite at step 7).
 */
export const copyBeforeFlush: readonly Action[] = [
  store(1, 0, 1),
  migrate(0, 0, [0]),
  kstep(0),
  kstep(0),
  store(1, 0, 2),
  kstep(0),
  kstep(0),
];

/** The race report input for `actions`, which must break `invariantId`, as the random engine reports it (seed 1). */
export function reportInput(
  v: Variant = variant('migrate-batched-wrong-copy-before-flush'),
  invariantId = 'noLostWrite',
  actions: readonly Action[] = copyBeforeFlush,
  config: Config = CONFIGS.small,
): RaceReportInput {
  const invariant = findInvariant(invariantId)!;
  const r = replay(v, config, actions, { invariants: [invariant] });
  return {
    variant: v,
    config,
    invariant,
    witness: r.violation!.witness,
    trace: r.trace,
    engine: 'random (fast-check)',
    seed: 1,
  };
}

// ---------------------------------------------------------------------------------------
// Immer edits of a state

/** Put `entry` (or nothing) in `cpu`'s TLB slot for (mm, vpage). */
export function withTlb(s: State, cpu: number, mm: number, vpage: number, entry: TlbEntry | null): State {
  return produce(s, (d) => {
    d.cpus[cpu]!.tlb[tlbSlot(s, mm, vpage)] = entry;
  });
}

/** Set the PTE of (mm, vpage). */
export function withPte(s: State, mm: number, vpage: number, pte: Pte): State {
  return produce(s, (d) => {
    d.mms[mm]!.pte[vpage] = pte;
  });
}

/** The last store to (mm, vpage) wrote `value` (the ghost), without touching any frame. */
export function withGhost(s: State, mm: number, vpage: number, value: number): State {
  return produce(s, (d) => {
    d.ghost.memory[mm]![vpage] = value;
  });
}

/** Frame `frame` holds `data`. */
export function withFrameData(s: State, frame: number, data: number): State {
  return produce(s, (d) => {
    d.frames[frame]!.data = data;
  });
}

/** The swap copy of (mm, vpage) holds `value`. */
export function withSwap(s: State, mm: number, vpage: number, value: number): State {
  return produce(s, (d) => {
    d.mms[mm]!.swap[vpage] = value;
  });
}

/** Task `task` has a deferred flush pending (tlb_ubc) for the CPUs in `cpumask`. */
export function withFlushPending(s: State, task: number, cpumask: number): State {
  return produce(s, (d) => {
    d.tasks[task]!.tlb_ubc = { cpumask, flush_required: true, writable: false };
  });
}

/** Frame `frame` is back with the allocator (its data kept), with no references. */
export function freeFrame(s: State, frame: number): State {
  return produce(s, (d) => {
    d.frames[frame] = {
      owner: { kind: 'free' },
      data: d.frames[frame]!.data,
      refcount: 0,
      dirty: false,
      migrc: false,
    };
    if (!d.freeList.includes(frame)) {
      d.freeList.push(frame);
      d.freeList.sort((a, b) => a - b);
    }
  });
}

/** Frame `frame` backs anonymous page (mm, vpage), holding `data`, with one reference. */
export function ownFrame(s: State, frame: number, mm: number, vpage: number, data: number): State {
  return produce(s, (d) => {
    d.frames[frame] = { owner: { kind: 'anon', mm, vpage }, data, refcount: 1, dirty: false, migrc: false };
    d.freeList = d.freeList.filter((f) => f !== frame);
  });
}

// ---------------------------------------------------------------------------------------
// PTEs and TLB entries

/** A present, accessed PTE to `frame` (writable and clean unless said otherwise). */
export const present = (frame: number, writable = true, dirty = false): Pte => ({
  kind: 'present',
  frame,
  writable,
  dirty,
  accessed: true,
});
/** An empty PTE. */
export const none: Pte = { kind: 'none' };

/** A clean writable TLB entry to `frame`. */
export const clean = (frame: number): TlbEntry => ({ frame, writable: true, dirty: false });
/** A dirty writable TLB entry to `frame`. */
export const dirtyEntry = (frame: number): TlbEntry => ({ frame, writable: true, dirty: true });
/** A read-only clean TLB entry to `frame`. */
export const readOnly = (frame: number): TlbEntry => ({ frame, writable: false, dirty: false });

/**
 * In a world with a caller on task 1 (tiny-migrc and its kin): clear_refs write-protects p0
 * and flushes, CPU 0 caches it read-only, and task 0 migrates p0 to the end of its batch,
 * so migrc skips the flush of that entry and holds the source for CPU 0.
 */
export const migrcHoldsSource: readonly Action[] = [
  { op: 'syscall', task: 1, call: 'clear_refs', mm: 0, vpages: [0] },
  ...ksteps(1, 3),
  load(0, 0),
  migrate(0, 0, [0]),
  ...ksteps(0, 8),
];

/** expected/manifest.json, the expected results of every protocol and engine. */
export function recordedManifest(): Manifest {
  return parseManifest(readFileSync('expected/manifest.json', 'utf8'));
}

/** The rows of each protocol's own world (both engines, no reduction): one per protocol and engine. */
export function ownRows(): ManifestRow[] {
  return recordedManifest().rows.filter(isOwnRow);
}

/**
 * Distinct states of a complete search of `protocol` in `world` that found nothing, as
 * expected/manifest.json records it (its own world's row, or one added with
 * `shootdown manifest --update --protocol P --world W [--symmetry]`). A changed count is a
 * signal to investigate (the model changed), not a number to update.
 */
export function recordedStates(protocol: string, world: string, symmetry = false): number {
  const row = recordedManifest().rows.find(
    (r) =>
      r.protocol === protocol &&
      r.engine === 'exhaustive' &&
      r.world === world &&
      (r.symmetry === true) === symmetry,
  );
  const how = `${protocol} in ${world}${symmetry ? ' with symmetry' : ''}`;
  if (row === undefined)
    throw new Error(
      `no row for ${how} in expected/manifest.json (shootdown manifest --update --protocol ${protocol} --world ${world}${symmetry ? ' --symmetry' : ''})`,
    );
  const cells = Object.values(row.invariants);
  const cell = cells[0];
  if (cell?.verdict !== 'holds' || cell.states === undefined || cells.some((c) => c.verdict !== 'holds'))
    throw new Error(`${how}: expected/manifest.json records no complete search that found nothing`);
  return cell.states;
}

/** The explorer's own way to step: a fresh copy, the recipe applied in place (faster than next()). */
export const stepWhole =
  (v: Variant) =>
  (s: State, a: Action): State => {
    const d = copyState(s);
    apply(v, d as Draft<State>, a);
    return d;
  };

/**
 * Walk `walks` random runs of `steps` actions from the initial state (the swarm's seeded
 * generator, so a failure names a walk that repeats) and show `visit` each state with its
 * enabled actions and where it is; the first problem `visit` names ends the walk.
 */
export function walkStates(
  v: Variant,
  config: Config,
  walks: number,
  steps: number,
  visit: (s: State, enabled: readonly Action[], at: string) => string | null,
): string | null {
  const universe = allActions(v, config);
  const step = stepWhole(v);
  for (let w = 0; w < walks; w++) {
    const random = rng(w + 1);
    let s = initialState(config);
    for (let k = 0; k < steps; k++) {
      const en = enabledActions(v, config, s, universe);
      if (en.length === 0) break;
      const problem = visit(s, en, `${v.id} in ${config.name}, walk ${w + 1} step ${k}`);
      if (problem !== null) return problem;
      s = step(s, en[Math.floor(random() * en.length)]!);
    }
  }
  return null;
}
