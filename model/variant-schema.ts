// What a variant spec may say, declared once (zod, strict): `defineVariant()` refuses a
// spec with an unknown or misspelled key, a value of the wrong type or an unknown kernel
// step, naming the key's path and, where one is close, the key meant. A misspelled policy
// key silently dropped would check the base protocol under the user's id: a false "holds".

import { z } from 'zod';

/** Steps that act on one folio; the flushes act on the whole batch and may stand anywhere. */
export const PER_FOLIO_STEPS = [
  'migrc_mark_folios',
  'migrc_expand_req',
  'try_to_unmap_one',
  'try_to_migrate_one',
  'pageout',
  'free_unref_folios',
  'move_to_new_folio',
  '_move_to_new_folio_prep',
  'folio_mc_copy',
  'remove_migration_ptes',
  'migrate_folio_done',
] as const;

/** The steps a reclaim or migration program may name (the system calls' steps are fixed). */
export const PROGRAM_STEPS = [
  ...PER_FOLIO_STEPS,
  'try_to_unmap_flush',
  'try_to_unmap_flush_dirty',
  'migrc_unmap_done',
  'migrc_req_end',
  'can_migrc_system',
] as const;

/** The switches of a migrc policy (model/migrc.ts's MigrcPolicy), each a boolean. */
export const MIGRC_FIELDS = [
  'keepSrc',
  'readOnlyOnly',
  'wpFaultFlush',
  'skipFlushedCpus',
  'flushInFlight',
  'checkFlushPending',
  'rememberMarked',
  'forkFlushPending',
  'directWriteFlush',
  'stopKeepsFlush',
  'everyWritableMapping',
  'wideGen',
  'undoOnMoveFailure',
] as const;

const bool = z.boolean().optional();
const step = z.enum(PROGRAM_STEPS);

const phase = z
  .strictObject({ each: z.array(step).min(1).optional(), once: step.optional() })
  .refine((p) => (p.each === undefined) !== (p.once === undefined), {
    message: 'a phase is { each: [...] } or { once: ... }, one of the two',
  });

/** A job's policy as a spec gives it: any field may come from the base. */
const jobSpec = z.strictObject({
  batchFlush: bool,
  deferDirty: bool,
  setsTlbFlushBatched: bool,
  program: z.array(phase).min(1).optional(),
});

const archSchema = z.strictObject({
  name: z.string(),
  dirtyBitTrap: z.boolean(),
  tlbi: z.enum(['ipi', 'broadcast']).optional(),
  batchedPendingDsbOnly: bool,
  ipiSwitchingCpus: bool,
  switchingBeforeTlbGen: bool,
  batchBumpsTlbGen: bool,
  batchFlushTlbGenZero: bool,
});

const migrcSpec = z.strictObject(
  Object.fromEntries(MIGRC_FIELDS.map((f) => [f, bool])) as Record<
    (typeof MIGRC_FIELDS)[number],
    typeof bool
  >,
);

const zapDirtyShared = z.enum(['flush-then-rmap', 'rmap-then-flush', 'after-unlock']).optional();

const policySpec = z.strictObject({
  arch: archSchema.optional(),
  reclaim: jobSpec.nullable().optional(),
  migrate: jobSpec.nullable().optional(),
  flushBatchedPending: bool,
  batchedPendingWindow: z.enum(['flag', 'generations']).optional(),
  migrc: migrcSpec.nullable().optional(),
  forkVmaStartWrite: bool,
  wpCopyFlush: bool,
  wpCopySetBeforeFlush: bool,
  zapDirtyShared,
  mkcleanFlush: bool,
});

/** A built policy (a hand-written variant object's): the same keys, nothing else. */
export const policySchema = policySpec.extend({ arch: archSchema, flushBatchedPending: z.boolean() });

const ids = z.array(z.string()).optional();

export const variantSpecSchema = z.strictObject({
  // ids name trace files and appear in commands: no spaces, slashes or control characters
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
  title: z.string(),
  source: z.string(),
  base: z
    .custom<object>((b) => typeof b === 'object' && b !== null && 'policy' in b && 'id' in b, {
      message: 'the base is a variant (defineVariant) or absent',
    })
    .optional(),
  notes: z.string().optional(),
  policy: policySpec.optional(),
  violates: ids,
  reaches: ids,
  world: z.string().optional(),
  fixedBy: z.string().optional(),
  randomRuns: z.number().int().positive().optional(),
  explorerOnly: ids,
});

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

/** The closest of `known` to `word`, if close enough to be what was meant. */
export function nearest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** The keys an object schema allows at `path` (through optional, nullable and arrays). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType = schema;
  const unwrap = () => {
    for (;;) {
      if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
      else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
      else return;
    }
  };
  for (const key of path) {
    unwrap();
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.ZodType>)[String(key)];
      if (next === undefined) return [];
      s = next;
    } else return [];
  }
  unwrap();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

const valueAt = (value: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as never)[k] : undefined), value);

// JSON.stringify escapes control characters: a value from a user's file never reaches the terminal raw
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** The first problem `schema` finds in `value`, as one line naming the key's path; null if none. */
export function schemaProblem(schema: z.ZodType, value: unknown, root: string): string | null {
  const r = schema.safeParse(value);
  if (r.success) return null;
  const issue = r.error.issues[0]!;
  const where = (p: readonly PropertyKey[]) =>
    [root, ...p.map((k) => (typeof k === 'number' ? `[${k}]` : String(k)))].join('.').replace(/\.\[/g, '[');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const near = nearest(key, keysAt(schema, issue.path));
    return `${where([...issue.path, key])}: unknown key${near === null ? '' : ` (did you mean '${near}'?)`}`;
  }
  const got = valueAt(value, issue.path);
  if (issue.code === 'invalid_value') {
    const known = issue.values.map(String);
    const near = typeof got === 'string' ? nearest(got, known) : null;
    return `${where(issue.path)}: ${show(got)} is not one of ${known.join(', ')}${near === null ? '' : ` (did you mean '${near}'?)`}`;
  }
  if (issue.code === 'invalid_type')
    return `${where(issue.path)}: expected ${issue.expected}, got ${got === undefined ? 'nothing' : show(got)}`;
  return `${where(issue.path)}: ${issue.message}`;
}
