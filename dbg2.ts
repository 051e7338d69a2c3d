import { explore } from './src/explore.js';
import { findVariant } from './model/registry.js';
import { CONFIGS, type Config } from './model/config.js';
const v = findVariant(process.argv[2]!)!;
const extra = JSON.parse(process.argv[3] ?? '{}');
const config: Config = { ...CONFIGS[(process.argv[4] ?? 'pcid-reclaim') as 'pcid'], ...extra };
const t0 = Date.now();
const r = explore(v, config, { maxStates: Number(process.argv[5] ?? 3_000_000) });
console.log(JSON.stringify(extra), (Date.now() - t0) / 1000, 's', r.distinct, r.complete, r.violation?.invariant.id, r.violation?.actions.length, r.targetsHit.join(','));
