// A throwaway worker thread that imports a user's variant file once, so that a file that
// loops or throws at import is caught under a time limit before the CLI imports it itself.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  await import(workerData.url);
  parentPort.postMessage({ ok: true });
} catch (e) {
  parentPort.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
}
