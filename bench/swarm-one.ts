// One deep search in its own process: the swarm (or one bitstate search) on a protocol in a
// world, until it finds a violation of the invariants asked for or its budget ends.
// Usage: node --import tsx bench/swarm-one.ts <protocol> <config> <max-seconds> <seed> [--single] [--migrc '<policy json>'] [--invariant ID ...]
import { CONFIGS } from '../model/config.js';
import { findVariant } from '../model/registry.js';
import { defineVariant } from '../model/variant.js';
import { INVARIANTS } from '../properties/invariants.js';
import { swarm } from '../src/engine/swarm.js';

const [id, world, maxSeconds, seed] = process.argv.slice(2);
const base = findVariant(id!);
if (base === undefined) throw new Error(`unknown protocol ${id}`);
// one or two of migrc's switches turned, e.g. examples/migrc-stop-drops-flush.ts
const at = process.argv.indexOf('--migrc');
const variant =
  at < 0
    ? base
    : defineVariant({
        id: `${base.id}-changed`,
        title: 'changed',
        source: 'bench',
        base,
        policy: { migrc: JSON.parse(process.argv[at + 1]!) },
      });
const asked = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--invariant' ? [a] : []));
const invariants = asked.length === 0 ? INVARIANTS : INVARIANTS.filter((i) => asked.includes(i.id));
const config = CONFIGS[world as keyof typeof CONFIGS];
const r = swarm(variant, config, {
  invariants,
  maxSeconds: Number(maxSeconds),
  seed: Number(seed),
  single: process.argv.includes('--single'),
});
console.log(
  JSON.stringify({
    states: r.states,
    transitions: r.transitions,
    seconds: r.seconds,
    members: r.members.length,
    stoppedBy: r.stoppedBy,
    truncated: r.truncated,
    omission: r.members.reduce((w, m) => Math.max(w, m.omission.mean), 0),
    violation: r.violation?.invariant.id ?? null,
    length: r.violation?.actions.length ?? null,
    foundLength: r.violation?.foundLength ?? null,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
