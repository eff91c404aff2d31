// The page (or main thread) side of camkit/worker: a typed request/response layer over a Web Worker or
// a worker_threads Worker. Requests carry an id; typed arrays are moved (transferables); progress
// events and aborts travel by id. Nothing here imports tfjs.
import { AbortError, CamkitError, FileError, InputError, MemoryLimitError, ModelError, NameError, OptionError } from '../errors.js';
import type { RGBAImage } from '../render/types.js';
import { transferables, type FromWorker, type RenderOptions, type ToWorker, type WireError, type WorkerExplainRequest, type WorkerExplainResult, type WorkerInfo, type WorkerInit } from './protocol.js';

/** What the client needs from a thread: Web Worker and worker_threads both fit through a small shim. */
export interface ThreadPort {
  post(msg: ToWorker, transfer: ArrayBuffer[]): void;
  /** Calls `fn` with every message; `onError` with a thread-level failure (script error, exit). */
  listen(fn: (m: FromWorker) => void, onError: (e: Error) => void): void;
  terminate(): void;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
  /**
   * Move the request's typed arrays to the worker (default true: the image's or input's buffer is
   * detached here). false sends copies and leaves the caller's arrays usable.
   */
  transfer?: boolean;
}

const CLASSES: Record<string, typeof CamkitError> = {
  InputError, OptionError: OptionError as unknown as typeof CamkitError, NameError: NameError as unknown as typeof CamkitError,
  MemoryLimitError, ModelError, FileError, AbortError: AbortError as unknown as typeof CamkitError,
};

/** A worker's error as the matching camkit error class (same name, code and message). */
export function revive(w: WireError): Error {
  if (w.code === 'E_ABORTED') return new AbortError(w.message);
  if (!w.code) {
    const e = new Error(w.message);
    e.name = w.name;
    return e;
  }
  const e = new CamkitError(w.code as CamkitError['code'], w.message);
  const C = CLASSES[w.name];
  if (C) Object.setPrototypeOf(e, C.prototype);
  e.name = w.name;
  return e;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: CallOptions['onProgress'];
  cleanup(): void;
}

/** A camkit worker: explanations and rendering off the calling thread. */
export class CamkitWorker {
  /** Resolves once the worker has loaded tfjs and picked its backend (rejects when it cannot). */
  readonly ready: Promise<WorkerInfo>;
  #port: ThreadPort;
  #next = 1;
  #pending = new Map<number, Pending>();
  #dead: Error | null = null;

  constructor(port: ThreadPort, init: WorkerInit = {}) {
    this.#port = port;
    let readyOk!: (i: WorkerInfo) => void, readyFail!: (e: Error) => void;
    this.ready = new Promise<WorkerInfo>((a, b) => ((readyOk = a), (readyFail = b)));
    this.ready.catch(() => {}); // observed through explain() too
    port.listen(
      (m) => {
        if (m.type === 'ready') readyOk(m.info);
        else if (m.type === 'failed') this.#fail(revive(m.error), readyFail);
        else if (m.type === 'progress') this.#pending.get(m.id)?.onProgress?.({ done: m.done, total: m.total });
        else {
          const p = this.#pending.get(m.id);
          if (!p) return;
          this.#pending.delete(m.id);
          p.cleanup();
          if (m.type === 'result') p.resolve(m.value);
          else p.reject(revive(m.error));
        }
      },
      (e) => this.#fail(e, readyFail),
    );
    port.post({ type: 'init', init }, []);
  }

  #fail(e: Error, readyFail: (e: Error) => void): void {
    this.#dead ??= e;
    readyFail(e);
    for (const p of this.#pending.values()) {
      p.cleanup();
      p.reject(e);
    }
    this.#pending.clear();
  }

  #call<T>(build: (id: number) => ToWorker, o: CallOptions, sent: unknown): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (o.signal?.aborted) return Promise.reject(new AbortError());
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        // The caller is released at once; the worker stops at its next check and its reply is dropped.
        this.#pending.delete(id);
        this.#port.post({ type: 'abort', id }, []);
        reject(new AbortError());
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: o.onProgress,
        cleanup: () => o.signal?.removeEventListener('abort', onAbort),
      });
      const msg = build(id);
      try {
        this.#port.post(msg, o.transfer === false ? [] : transferables(sent));
      } catch (e) {
        this.#pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Runs explain() in the worker on `req.image` (preprocessed there) or `req.input`. */
  explain(req: WorkerExplainRequest, o: CallOptions = {}): Promise<WorkerExplainResult> {
    // An ImageData is cloned as a platform object by some engines (Firefox copies its pixels instead of
    // moving them): send its fields as plain data so the pixel buffer is what moves.
    const image = req.image && { width: req.image.width, height: req.image.height, data: req.image.data };
    const r = image ? { ...req, image } : req;
    return this.#call((id) => ({ type: 'explain', id, req: r }), o, [image, req.input, typeof req.model === 'string' ? null : req.model.artifacts.weightData]);
  }

  /** Renders a map (over `image` when given) with camkit's kernels in the worker. */
  render(map: { width: number; height: number; values: Float32Array }, image?: RGBAImage, opts: RenderOptions = {}, o: CallOptions = {}): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
    const img = image && { width: image.width, height: image.height, data: image.data };
    return this.#call((id) => ({ type: 'render', id, map, image: img, opts }), o, [map.values, img?.data]);
  }

  /** Drops a cached model (by its URL or key) in the worker. */
  disposeModel(key: string): void {
    if (!this.#dead) this.#port.post({ type: 'dispose', model: key }, []);
  }

  /** Stops the worker; pending calls reject. */
  terminate(): void {
    this.#fail(new CamkitError('E_ABORTED', 'The worker was terminated.'), () => {});
    this.#port.terminate();
  }
}

/** A Web Worker as a ThreadPort. */
export function webPort(w: Worker): ThreadPort {
  return {
    post: (m, t) => w.postMessage(m, t),
    listen(fn, onError) {
      w.addEventListener('message', (e: MessageEvent<FromWorker>) => fn(e.data));
      w.addEventListener('error', (e: ErrorEvent) => {
        e.preventDefault?.();
        onError(new CamkitError('E_INIT', `The camkit worker failed: ${e.message || 'script error (is camkit.worker.js reachable?)'}`));
      });
    },
    terminate: () => w.terminate(),
  };
}

/**
 * Starts dist/camkit.worker.js as a Web Worker. Cross-origin script URLs (a CDN) start through a
 * same-origin blob that importScripts() the real file, since Worker() only takes same-origin URLs.
 */
export function startWebWorker(url: string | URL): Worker {
  const u = new URL(String(url), typeof document !== 'undefined' ? document.baseURI : undefined);
  if (typeof location === 'undefined' || u.origin === location.origin || u.protocol === 'blob:' || u.protocol === 'data:') return new Worker(u);
  const boot = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(u.href)})`], { type: 'text/javascript' }));
  try {
    return new Worker(boot);
  } finally {
    setTimeout(() => URL.revokeObjectURL(boot), 10_000);
  }
}
