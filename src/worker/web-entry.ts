// Entry of dist/camkit.worker.js (IIFE, run as a classic Web Worker). The bundle uses the worker's
// global `tf`, which exists only after the tfjs script is loaded: rollup wraps this IIFE in a
// function (see rollup.config.mjs) that a tiny bootstrap calls on the first 'init' message, after
// importScripts(init.tfjs). The wasm backend is loaded the same way when its script is reachable.
import * as tfcore from '@tensorflow/tfjs-core';
import { guessWasmUrl } from './backends.js';
import { serve, type WorkerTf } from './serve.js';
import type { ToWorker, WorkerInit } from './protocol.js';

interface WorkerScope {
  postMessage(m: unknown, t: ArrayBuffer[]): void;
  importScripts(...urls: string[]): void;
  tf?: { wasm?: { setWasmPaths(prefix: string): void } };
}

function loadWasm(init: WorkerInit): Promise<string | null> {
  const g = globalThis as unknown as WorkerScope;
  if (init.wasm === false) return Promise.resolve('wasm disabled (wasm: false)');
  if (!g.tf?.wasm) {
    const url = init.wasm ?? guessWasmUrl(init.tfjs);
    if (!url) return Promise.resolve('no tf-backend-wasm script URL (option wasm)');
    try {
      g.importScripts(url);
    } catch (e) {
      return Promise.resolve(`could not load ${url} (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!g.tf?.wasm) return Promise.resolve(`${url} defined no tf.wasm`);
    g.tf.wasm.setWasmPaths(new URL('.', url).href);
  }
  return Promise.resolve(null);
}

/** Called by the bootstrap once tfjs is loaded: returns the message handler. */
export function start(): (m: ToWorker) => void {
  const g = globalThis as unknown as WorkerScope;
  return serve(tfcore as unknown as WorkerTf, { kind: 'web', post: (m, t) => g.postMessage(m, t), loadWasm });
}
