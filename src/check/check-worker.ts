// A check worker thread: checks one protocol at a time for the pool (check-pool.ts) and
// posts its progress, each invariant as it is decided, and the verdict. Counterexamples
// travel as action lists; the main thread replays them for the reports.

import { parentPort } from 'node:worker_threads';
import { findVariant } from '../../model/registry.js';
import { findInvariant, type Invariant } from '../../properties/invariants.js';
import { loadVariantFile } from '../load/variant-file.js';
import { checkVariant } from './check.js';
import type { FromWorker, ToWorker } from './check-pool.js';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', async (job: ToWorker) => {
  try {
    const variant =
      job.variantFile === undefined
        ? findVariant(job.variantId)
        : (await loadVariantFile(job.variantFile, 0)).find((v) => v.id === job.variantId);
    if (variant === undefined) throw new Error(`protocol ${job.variantId} not found in the worker`);
    const invariants = job.invariantIds?.map((id) => findInvariant(id) as Invariant);
    const { failures, ...verdict } = checkVariant(variant, {
      ...job.options,
      ...(invariants === undefined ? {} : { invariants }),
      ...(job.variantFile === undefined ? {} : { variantFileOf: () => job.variantFile }),
      onProgress: (progress) => post({ type: 'progress', index: job.index, progress }),
      onDecided: (row) => post({ type: 'decided', index: job.index, row }),
    });
    post({
      type: 'verdict',
      index: job.index,
      verdict,
      failures: failures.map((f) => ({
        invariant: f.invariant.id,
        actions: f.actions,
        provenance: f.provenance,
      })),
    });
  } catch (e) {
    post({
      type: 'error',
      index: job.index,
      message: e instanceof Error ? (e.stack ?? e.message) : String(e),
    });
  }
});
