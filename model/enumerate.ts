// Every action enabled in a state, in a fixed order: the explorer's successor function
// and the random engine's menu. Order is deterministic so runs replay exactly.

import { type Action, enabled } from './actions.js';
import { type Config, copiesOnWrite } from './config.js';
import { type State, SYSCALLS } from './state.js';
import { SYSCALL_TABLE, type SyscallDef } from './syscall-table.js';
import type { Variant } from './variant.js';

/** Non-empty subsets of 0..n-1 with at most `max` members, smallest first. */
export function batches(n: number, max: number): number[][] {
  const out: number[][] = [];
  const grow = (from: number, acc: number[]) => {
    for (let v = from; v < n; v++) {
      const next = [...acc, v];
      out.push(next);
      if (next.length < max) grow(v + 1, next);
    }
  };
  grow(0, []);
  return out.sort((a, b) => a.length - b.length);
}

/** Every action the config's universe can name, enabled or not. */
export function allActions(variant: Variant, config: Config): Action[] {
  const out: Action[] = [];
  for (let cpu = 0; cpu < config.cpus; cpu++)
    for (let vpage = 0; vpage < config.pages; vpage++) {
      out.push({ op: 'load', cpu, vpage });
      for (let value = 1; value <= config.values; value++) out.push({ op: 'store', cpu, vpage, value });
      for (let mm = 0; mm < config.mms; mm++) out.push({ op: 'tlbEvict', cpu, mm, vpage });
    }
  for (let frame = 0; frame < config.frames; frame++) out.push({ op: 'reuseFrame', frame });
  const sets = batches(config.pages, config.batch);
  // Only a program with a separate copy step can fail a copy, or one that moves a folio in
  // a world where moving may fail.
  const copies = variant.policy.migrate?.program.some(
    (p) =>
      'each' in p &&
      (p.each.includes('folio_mc_copy') ||
        (config.moveFailures === true && p.each.includes('move_to_new_folio'))),
  );
  config.taskCpus.forEach((_, task) => {
    const calls = config.syscalls ?? [];
    const caller = calls.length > 0 && (config.syscallTasks ?? [task]).includes(task);
    const batcher = !caller || config.syscallTasks === undefined;
    // the mm the thread on the task's CPU runs
    const ownMm = config.cpuMm[config.taskCpus[task]!]!;
    for (let mm = 0; mm < config.mms; mm++)
      for (const vpages of batcher ? sets : []) {
        if (variant.policy.migrate !== null) out.push({ op: 'migrate_pages', task, mm, vpages });
        if (variant.policy.reclaim !== null) out.push({ op: 'shrink_folio_list', task, mm, vpages });
      }
    // the calls the world allows, by what each is called on (model/syscall-table.ts); the
    // order of the actions is the random engine's, so it stays: ranges, file pages, write(), mms
    const allowed = (args: SyscallDef['args']) =>
      caller
        ? SYSCALLS.filter((c) => SYSCALL_TABLE[c].args === args && calls.includes(SYSCALL_TABLE[c].op))
        : [];
    for (let mm = 0; mm < config.mms; mm++)
      for (const vpages of caller ? sets : [])
        for (const call of allowed('pages')) out.push({ op: 'syscall', task, call, mm, vpages });
    // a hole in the file, one page at a time, from the thread of any mm
    for (const call of allowed('file-page'))
      for (let vpage = 0; vpage < config.pages; vpage++)
        out.push({ op: 'syscall', task, call, mm: ownMm, vpages: [vpage] });
    // mremap() of one page onto another of the caller's mm, every ordered pair
    for (const call of allowed('move'))
      for (let from = 0; from < config.pages; from++)
        for (let to = 0; to < config.pages; to++)
          if (from !== to) out.push({ op: 'syscall', task, call, mm: ownMm, vpages: [from, to] });
    // a NUMA hinting fault by the thread on the task's CPU that migrates the folio
    if (caller && calls.includes('numa') && variant.policy.migrate !== null)
      for (let vpage = 0; vpage < config.pages; vpage++)
        out.push({ op: 'migrate_misplaced_folio', task, vpage });
    if (caller && calls.includes('write'))
      for (let vpage = 0; vpage < config.pages; vpage++)
        for (let value = 1; value <= config.values; value++) out.push({ op: 'write', task, vpage, value });
    // fork() copies the whole mm, not a range
    for (let mm = 0; mm < config.mms; mm++)
      for (const call of allowed('mm'))
        out.push({
          op: 'syscall',
          task,
          call,
          mm,
          vpages: Array.from({ length: config.pages }, (_, v) => v),
        });
    out.push({ op: 'kernelStep', task });
    if (copies) out.push({ op: 'copyFails', task });
  });
  if (config.contextSwitches)
    for (let cpu = 0; cpu < config.cpus; cpu++) out.push({ op: 'flush_tlb_local', cpu });
  if (config.pcid)
    for (let cpu = 0; cpu < config.cpus; cpu++) {
      for (let mm = 0; mm < config.mms; mm++) out.push({ op: 'switch_mm', cpu, mm });
      out.push({ op: 'load_new_mm_cr3', cpu }, { op: 'set_loaded_mm', cpu }, { op: 'enter_lazy_tlb', cpu });
      if (config.tso) out.push({ op: 'drain_store_buffer', cpu });
    }
  if (copiesOnWrite(config))
    for (let cpu = 0; cpu < config.cpus; cpu++) out.push({ op: 'wp_page_copy', cpu });
  if (config.sharedFile)
    for (let index = 0; index < config.pages; index++)
      out.push({ op: 'writeback', index }, { op: 'remove_mapping', index });
  if (config.memoryPressure && variant.policy.migrc !== null)
    out.push({ op: 'migrc_stop_pending' }, { op: 'migrc_resume_pending' });
  // a device writing through a pin, to any frame a pin may hold
  if (config.syscalls?.includes('pin'))
    for (let frame = 0; frame < config.frames; frame++)
      for (let value = 1; value <= config.values; value++) out.push({ op: 'dma_write', frame, value });
  if (config.syscalls?.includes('mmap'))
    for (let mm = 0; mm < config.mms; mm++) for (const vpages of sets) out.push({ op: 'mmap', mm, vpages });
  return out;
}

export function enabledActions(
  variant: Variant,
  config: Config,
  s: State,
  universe?: readonly Action[],
): Action[] {
  return (universe ?? allActions(variant, config)).filter((a) => enabled(variant, s, a));
}
