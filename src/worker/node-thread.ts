// camkit/worker in Node: the worker_threads side (dist/worker-thread.js). Its own tfjs
// (@tensorflow/tfjs, a peer), the wasm backend when @tensorflow/tfjs-backend-wasm is installed, else cpu;
// model URLs that are file paths or file: URLs are read from disk.
import { parentPort } from 'node:worker_threads';
import { serve, type WorkerTf } from './serve.js';
import type { ToWorker } from './protocol.js';
import { readArtifacts } from './node-thread-io.js';

const port = parentPort;
if (!port) throw new Error('camkit worker-thread.js runs inside a worker_threads Worker.');

const tf = (await import('@tensorflow/tfjs')) as unknown as WorkerTf;
const handle = serve(tf, {
  kind: 'node',
  post: (msg, transfer) => port.postMessage(msg, transfer),
  async loadWasm(init) {
    if (init.wasm === false) return 'wasm disabled (wasm: false)';
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      return null;
    } catch (e) {
      return `@tensorflow/tfjs-backend-wasm could not be imported (${e instanceof Error ? e.message : String(e)})`;
    }
  },
  readArtifacts,
});
port.on('message', (m: ToWorker) => handle(m));
