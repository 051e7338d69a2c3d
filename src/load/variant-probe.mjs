// A throwaway worker thread that imports a user's variant file once, so that a file that
// loops or throws at import is caught under a time limit before the CLI imports it itself.
// It registers the same module hooks as the CLI (src/load/variant-loader.ts), whose URLs the
// main thread passes in.
import { register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

register(workerData.loader, { data: { self: workerData.self } });
try {
  await import(workerData.url);
  parentPort.postMessage({ ok: true });
} catch (e) {
  parentPort.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
}
