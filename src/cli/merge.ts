// `shootdown merge FILE...`: the --json documents of a random or swarm campaign's shards
// (`shootdown check --shard i/N --json`) as one verdict. Exit 0 when every verdict is as
// expected and every shard is there, 1 otherwise (a shard missing leaves what it would
// have decided incomplete), 2 for files that are not shards of one campaign.

import { z } from 'zod';
import type { CheckDocument } from '../check/check.js';
import { type MergeableVerdict, mergeVerdicts } from '../check/merge.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from '../version.js';
import { formatVerdict } from './check.js';
import { type Io, printable, readBounded } from './io.js';

export interface MergeFlags {
  json?: boolean;
}

const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

const count = z.number().int().nonnegative();
const row = z.looseObject({
  invariant: z.string(),
  expected: z.enum(['holds', 'violated']),
  verdict: z.enum(['holds', 'violated', 'incomplete']),
  runs: count.optional(),
  steps: count.optional(),
  states: count.optional(),
  transitions: count.optional(),
  members: count.optional(),
  counterexample: z.looseObject({ length: count, seed: z.number().int().optional() }).nullable(),
});
const shardSchema = z.looseObject({
  tool: z.literal('shootdown'),
  engine: z.enum(['random', 'swarm']),
  runs: count.optional(),
  maxSeconds: count.optional(),
  maxStates: count.optional(),
  seed: z.number().int(),
  seeds: z.number().int().min(1),
  shard: z.strictObject({ index: z.number().int().min(1), count: z.number().int().min(1) }),
  config: z.unknown().optional(),
  protocols: z.array(
    z.looseObject({
      protocol: z.string(),
      title: z.string(),
      engine: z.enum(['random', 'swarm']),
      config: z.string(),
      invariants: z.array(row),
      targets: z.array(z.strictObject({ target: z.string(), hit: z.boolean() })),
      ok: z.boolean(),
      interrupted: z.boolean().optional(),
    }),
  ),
  ok: z.boolean(),
  interrupted: z.boolean().optional(),
});
type Shard = z.infer<typeof shardSchema>;

function readShard(file: string): Shard {
  const text = readBounded(file, MAX_DOCUMENT_BYTES, 'a check document');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`${printable(file)}: not JSON (the output of shootdown check --shard i/N --json)`);
  }
  const parsed = shardSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    const hint =
      typeof doc === 'object' && doc !== null && !('shard' in doc)
        ? ' (not a shard: write it with shootdown check --shard i/N --json)'
        : '';
    throw new UsageError(
      `${printable(file)}: not a shard of a random or swarm campaign${where}: ${issue.message.split('\n')[0]}${hint}`,
    );
  }
  if (parsed.data.engine === 'random' && parsed.data.runs === undefined)
    throw new UsageError(`${printable(file)}: not a shard of a random campaign: it names no runs`);
  return parsed.data;
}

/** What must be equal in every shard of one campaign. */
const campaignOf = (d: Shard) =>
  JSON.stringify({
    engine: d.engine,
    runs: d.runs ?? null,
    maxSeconds: d.maxSeconds ?? null,
    maxStates: d.maxStates ?? null,
    seed: d.seed,
    seeds: d.seeds,
    count: d.shard.count,
    config: d.config ?? null,
    protocols: d.protocols.map((p) => [p.protocol, p.config, p.invariants.map((i) => i.invariant)]),
  });

const describeCampaign = (d: Shard) =>
  `${d.engine} campaign of seeds ${d.seed} to ${d.seed + d.seeds - 1}, ${
    d.engine === 'random'
      ? `${d.runs} runs each`
      : `${d.maxSeconds} s${d.maxStates === undefined ? '' : ` or ${d.maxStates} states`} each`
  }, ${d.shard.count} shards, ${d.protocols.length} protocols`;

export function runMerge(files: readonly string[], flags: MergeFlags, io: Io): number {
  if (files.length === 0) throw new UsageError('merge needs the shards’ --json documents');
  const shards = files.map((f) => [f, readShard(f)] as const);
  const [firstFile, first] = shards[0]!;
  const seen = new Map<number, string>();
  for (const [file, d] of shards) {
    if (campaignOf(d) !== campaignOf(first))
      throw new UsageError(
        `${printable(file)} is a shard of another campaign than ${printable(firstFile)} (${describeCampaign(d)}; against ${describeCampaign(first)})`,
      );
    const twice = seen.get(d.shard.index);
    if (twice !== undefined)
      throw new UsageError(
        `${printable(file)}: shard ${d.shard.index}/${d.shard.count} is given twice (also ${printable(twice)})`,
      );
    seen.set(d.shard.index, file);
  }
  const n = first.shard.count;
  const missing = Array.from({ length: n }, (_, k) => k + 1).filter((i) => !seen.has(i));
  const protocols = first.protocols.map((p) => {
    let v = shards
      .map(([, d]) => d.protocols.find((q) => q.protocol === p.protocol)! as unknown as MergeableVerdict)
      .reduce((a, b) => mergeVerdicts(a, b));
    if (missing.length > 0) v = withoutShards(v);
    return v;
  });
  const interrupted = shards.some(([, d]) => d.interrupted === true);
  const ok = missing.length === 0 && !interrupted && protocols.every((p) => p.ok);
  const document: CheckDocument & { readonly shards: { readonly merged: number[]; readonly count: number } } =
    {
      tool: 'shootdown',
      version: VERSION,
      engine: first.engine,
      ...(first.config === undefined ? {} : { config: first.config as NonNullable<CheckDocument['config']> }),
      ...(first.runs === undefined ? {} : { runs: first.runs }),
      ...(first.maxSeconds === undefined ? {} : { maxSeconds: first.maxSeconds }),
      ...(first.maxStates === undefined ? {} : { maxStates: first.maxStates }),
      seed: first.seed,
      seeds: first.seeds,
      shards: { merged: [...seen.keys()].sort((a, b) => a - b), count: n },
      protocols,
      ok,
      ...(interrupted ? { interrupted: true as const } : {}),
    };
  if (flags.json) io.out(JSON.stringify(document, null, 2));
  else {
    for (const p of protocols) io.out(`${formatVerdict({ ...p, failures: [] })}\n`);
    const bad = protocols.filter((p) => !p.ok).map((p) => p.protocol);
    io.out(
      `merged ${seen.size} of ${n} shards (${describeCampaign(first)})${missing.length > 0 ? `; missing ${missing.join(', ')}: not a verdict` : ''}: ${
        bad.length === 0 && missing.length === 0 && !interrupted
          ? 'every verdict as expected'
          : `${bad.length} of ${protocols.length} protocols not as expected${bad.length > 0 ? `: ${bad.join(', ')}` : ''}`
      }`,
    );
  }
  return ok ? 0 : 1;
}

/** With shards missing, what the campaign did not decide is not a verdict: an invariant not found broken is incomplete. */
function withoutShards(v: MergeableVerdict): MergeableVerdict {
  const invariants = v.invariants.map((i) =>
    i.verdict === 'holds' ? { ...i, verdict: 'incomplete' as const } : i,
  );
  return { ...v, invariants, ok: false };
}
