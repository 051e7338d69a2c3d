// Entry of a check worker thread: the model is TypeScript, so load it through tsx, as
// bin/shootdown.mjs does. A failure to load is reported to the main thread, which would
// otherwise wait for a verdict that never comes.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  await import('./check-worker.ts');
} catch (e) {
  parentPort.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
