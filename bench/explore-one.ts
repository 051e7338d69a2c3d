// One explorer run in its own process, so its peak memory is its own.
// Usage: node --import tsx bench/explore-one.ts <protocol> '<config json>' <max-seconds> [--symmetry] [--por] [--workers N]
//   [--whole-steps] [--max-states N]
import { defineConfig } from '../model/config.js';
import { findVariant } from '../model/registry.js';
import { explore } from '../src/engine/explore.js';
import { exploreParallel } from '../src/engine/explore-parallel.js';

const [id, configJson, maxSeconds] = process.argv.slice(2);
const variant = findVariant(id!);
if (variant === undefined) throw new Error(`unknown protocol ${id}`);
const config = defineConfig(JSON.parse(configJson!));
const symmetry = process.argv.includes('--symmetry');
const at = process.argv.indexOf('--workers');
const workers = at < 0 ? 1 : Number(process.argv[at + 1]);
const por = process.argv.includes('--por');
const wholeSteps = process.argv.includes('--whole-steps');
const states = process.argv.indexOf('--max-states');
const options = {
  maxSeconds: Number(maxSeconds ?? 60),
  ...(symmetry ? { symmetry } : {}),
  ...(por ? { por } : {}),
  ...(wholeSteps ? { localSteps: false } : {}),
  ...(states < 0 ? {} : { maxStates: Number(process.argv[states + 1]) }),
};
const r =
  workers > 1 ? exploreParallel(variant, config, { ...options, workers }) : explore(variant, config, options);
console.log(
  JSON.stringify({
    protocol: id,
    config: config.name,
    workers,
    complete: r.complete,
    stoppedBy: r.stoppedBy,
    distinct: r.distinct,
    transitions: r.generated,
    slept: r.slept,
    localShare: ['load', 'store', 'tlbEvict'].reduce((n, op) => n + (r.coverage[op] ?? 0), 0) / r.generated,
    depth: r.depth,
    seconds: r.seconds,
    violation: r.violation?.invariant.id ?? null,
    counterexampleLength: r.violation?.actions.length ?? null,
    visitedBytes: r.visitedBytes,
    treeBytes: r.treeBytes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
