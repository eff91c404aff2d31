/**
 * Explanations and rendering off the calling thread: a Web Worker in browsers, a worker_threads worker in Node.
 * @module camkit/worker
 */
// camkit/worker: explanations (tfjs model + camkit kernels) and rendering off the calling thread, with
// one API for browsers (a Web Worker running dist/camkit.worker.js) and Node (a worker_threads Worker
// running dist/worker-thread.js). Inputs and results move as transferables; progress and AbortSignal
// work as with explain() on the calling thread. The worker picks the fastest tfjs backend that starts.
import { CamkitError } from '../errors.js';
import { CamkitWorker, startWebWorker, webPort, type ThreadPort } from './client.js';
import type { WorkerInit } from './protocol.js';

export { CamkitWorker, startWebWorker, webPort, revive } from './client.js';
export type { CallOptions, ThreadPort } from './client.js';
export type { WorkerInit, WorkerInfo, WorkerModel, WorkerTensor, WorkerExplainRequest, WorkerExplainResult, RenderOptions, WireError, ToWorker, FromWorker } from './protocol.js';
export { BACKEND_ORDER } from './backends.js';

export interface CreateWorkerOptions extends WorkerInit {
  /**
   * The worker script. Browser: URL of camkit.worker.js (default: beside this module). Node: the
   * thread entry (default: dist/worker-thread.js beside this module).
   */
  url?: string | URL;
}

const isNode = (): boolean => typeof process !== 'undefined' && !!(process as { versions?: { node?: string } }).versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';

async function nodePort(url: URL): Promise<ThreadPort> {
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(url);
  return {
    post: (m, t) => w.postMessage(m, t),
    listen(fn, onError) {
      w.on('message', fn);
      w.on('error', (e: Error) => onError(e instanceof CamkitError ? e : new CamkitError('E_INIT', `The camkit worker thread failed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => onError(new CamkitError('E_INIT', `The camkit worker thread exited (code ${code}).`)));
    },
    terminate: () => void w.terminate(),
  };
}

/** The default thread script for this environment (built files, or the TypeScript sources under tsx). */
function defaultUrl(node: boolean): URL {
  const here = import.meta.url;
  if (node) return new URL(here.endsWith('.ts') ? './node-thread-tsx.mjs' : './worker-thread.js', here);
  return new URL('./camkit.worker.js', here);
}

/**
 * Starts a camkit worker. Browser: `tfjs` is the URL of the tfjs script the worker loads (tf.min.js);
 * `wasm` optionally the URL of tf-backend-wasm.min.js. Node: the worker imports @tensorflow/tfjs and,
 * when installed, @tensorflow/tfjs-backend-wasm. `await worker.ready` tells the backend it chose.
 */
export async function createWorker(opts: CreateWorkerOptions = {}): Promise<CamkitWorker> {
  const { url, ...init } = opts;
  const node = isNode();
  if (node) {
    const u = url === undefined ? defaultUrl(true) : url instanceof URL ? url : new URL(url, `file://${process.cwd()}/`);
    return new CamkitWorker(await nodePort(u), init);
  }
  if (typeof Worker === 'undefined') throw new CamkitError('E_INIT', 'This environment has no Worker.');
  const base = typeof document !== 'undefined' ? document.baseURI : undefined;
  const tfjs = init.tfjs === undefined ? undefined : new URL(init.tfjs, base).href;
  const wasm = typeof init.wasm === 'string' ? new URL(init.wasm, base).href : init.wasm;
  return new CamkitWorker(webPort(startWebWorker(url ?? defaultUrl(false))), { ...init, tfjs, wasm });
}
