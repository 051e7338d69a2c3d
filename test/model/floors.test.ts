// model/ is built in floors (docs/ARCHITECTURE.md): a file imports only from its own floor
// or a lower one, and there is no import cycle. A cycle makes the order in which modules
// initialise decide what a constant holds; a low floor that imports kernel code makes the
// hardware depend on the protocols it is meant to judge.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Each file of model/ and its floor, lowest first. A new file says where it stands. */
const FLOORS: Record<string, number> = {
  // 0. what the state is and what a variant may say
  config: 0,
  state: 0,
  'variant-schema': 0,
  variant: 0,
  'syscall-table': 0,
  schema: 0,
  'action-table': 0,
  'state-schema': 0,
  exhaustive: 0,
  queries: 0,
  // 1. the CPU (TLB, walk, dirty-bit assist) and plain changes to shared kernel data
  hardware: 1,
  folio: 1,
  'migrc-gen': 1,
  'store-buffer': 1,
  // 2. flushes that reach other CPUs (arch/x86/mm/tlb.c, arm64's broadcast TLBI)
  switch: 2,
  tlbflush: 2,
  // 3. the kernel's mm code, step by step
  migrc: 3,
  rmap: 3,
  memory: 3,
  filemap: 3,
  vmscan: 3,
  migrate: 3,
  isolate: 3,
  // 4. what runs those steps: tasks, system calls, page faults
  syscalls: 4,
  fault: 4,
  task: 4,
  // 5. the machine: every action, and their enumeration
  actions: 5,
  enumerate: 5,
  footprint: 5,
  // 6. the catalogue: protocols are data over floor 0
  registry: 6,
};
const VARIANT_FLOOR = 6;

function importsOf(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(/from '\.{1,2}\/([a-z0-9/.-]+)\.js'/g)].map((m) => m[1]!);
}

const files = readdirSync('model')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
const variants = readdirSync('model/variants')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `variants/${f.slice(0, -3)}`);

/** model/-relative name of what `file` imports (`variants/x` imports `../variant` or `./y`). */
function edges(file: string): string[] {
  const inVariants = file.startsWith('variants/');
  return importsOf(`model/${file}.ts`).map((target) =>
    inVariants
      ? target.startsWith('../')
        ? target.slice(3)
        : `variants/${target.replace(/^\.\//, '')}`
      : target,
  );
}
const floorOf = (file: string): number | undefined =>
  file.startsWith('variants/') ? VARIANT_FLOOR : FLOORS[file];

/** Imports that go up a floor. */
function importsUp(graph: Record<string, string[]>): string[] {
  return Object.entries(graph).flatMap(([file, targets]) =>
    targets
      .filter((t) => (floorOf(t) ?? Number.POSITIVE_INFINITY) > floorOf(file)!)
      .map((t) => `${file} (${floorOf(file)}) imports ${t} (${floorOf(t)})`),
  );
}

/** Every cycle a depth-first walk meets, as a path. */
function cyclesIn(graph: Record<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph[file] ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of Object.keys(graph)) visit(file, []);
  return cycles;
}

const model = Object.fromEntries([...files, ...variants].map((f) => [f, edges(f)]));

describe('model/ floors', () => {
  it('every file has a floor', () => {
    expect(files.filter((f) => FLOORS[f] === undefined)).toEqual([]);
    expect(Object.keys(FLOORS).filter((f) => !files.includes(f))).toEqual([]);
  });

  it('every import goes to the same floor or a lower one', () => {
    expect(importsUp(model)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cyclesIn(model)).toEqual([]);
  });

  it('finds a cycle and an import up a floor when there is one', () => {
    // hardware importing kernel code, as it once did
    const seeded = { ...model, hardware: [...model.hardware!, 'memory'] };
    expect(importsUp(seeded)).toEqual(['hardware (1) imports memory (3)']);
    // memory reaches hardware through tlbflush
    expect(cyclesIn(seeded)).toContainEqual(expect.stringMatching(/^hardware -> memory -> .*hardware$/));
  });
});
