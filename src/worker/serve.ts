// The worker side of camkit/worker, shared by the Web Worker bundle (dist/camkit.worker.js) and the
// Node worker_threads entry: picks a backend, loads models once, preprocesses images, runs
// explain() and renders, one request at a time (tfjs is single-threaded; guided backprop overrides
// the global gradient registry), answering with transferables.
import { explain } from '../capture/explain.js';
import { AbortError, CamkitError } from '../errors.js';
import { renderHeatmap, renderOverlay } from '../render/overlay.js';
import type { ColormapName } from '../render/colormaps.js';
import type { RGBAImage } from '../render/types.js';
import { init } from '../runtime/init.js';
import { imageToInput, type TfLike } from '../widget/live.js';
import { BACKEND_ORDER } from './backends.js';
import { transferables, type FromWorker, type RenderOptions, type ToWorker, type WireError, type WorkerExplainRequest, type WorkerExplainResult, type WorkerInfo, type WorkerInit, type WorkerModel } from './protocol.js';

/** The tfjs the worker runs (the full package: core, layers, converter, backends). */
export type WorkerTf = TfLike & {
  setBackend(name: string): Promise<boolean>;
  getBackend(): string;
  ready(): Promise<void>;
  findBackendFactory(name: string): unknown;
  tensor(values: Float32Array, shape: number[]): { dispose(): void; shape: number[] };
  io: { fromMemory(a: unknown): unknown };
  loadLayersModel(url: unknown): Promise<unknown>;
  loadGraphModel(url: unknown): Promise<unknown>;
};

export interface ServeHost {
  kind: 'web' | 'node';
  post(msg: FromWorker, transfer: ArrayBuffer[]): void;
  /** Makes the wasm backend available if it can be (loads its script or module); resolves with why not, or null. */
  loadWasm(init: WorkerInit): Promise<string | null>;
  /** Node: model files from disk. Returns artifacts for a URL it handles, or null to let tfjs fetch it. */
  readArtifacts?(url: string): Promise<Record<string, unknown> | null>;
}

const wire = (e: unknown): WireError => {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, code: (err as CamkitError).code };
};

/** Tries the backends in order and keeps the first that starts and runs an op; records why others did not. */
export async function pickBackend(tf: WorkerTf, init: WorkerInit, host: ServeHost): Promise<{ backend: string; skipped: WorkerInfo['skipped'] }> {
  const want = init.backend ?? 'auto';
  const order: string[] = want === 'auto' ? [...BACKEND_ORDER] : [want];
  const skipped: WorkerInfo['skipped'] = [];
  for (const b of order) {
    let reason: string | null = null;
    if (b === 'wasm') reason = await host.loadWasm(init);
    if (!reason && b === 'webgl' && typeof OffscreenCanvas === 'undefined') reason = 'no OffscreenCanvas in this worker';
    if (!reason && !tf.findBackendFactory(b)) reason = `backend ${b} is not registered`;
    if (!reason) {
      try {
        if (await tf.setBackend(b)) {
          await tf.ready();
          const t = tf.tensor(new Float32Array([1, 2]), [2]);
          (t as unknown as { dataSync(): unknown }).dataSync();
          t.dispose();
          return { backend: tf.getBackend(), skipped };
        }
        reason = `setBackend('${b}') returned false`;
      } catch (e) {
        reason = e instanceof Error ? e.message : String(e);
      }
    }
    skipped.push({ backend: b, reason });
  }
  throw new CamkitError('E_INIT', `No tfjs backend started in the worker: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

function isGraph(a: Record<string, unknown>): boolean {
  const topo = a.modelTopology as { node?: unknown } | undefined;
  return a.format === 'graph-model' || !!topo?.node;
}

/** Starts serving: call `handle` with every message the thread receives. */
export function serve(tf: WorkerTf, host: ServeHost): (msg: ToWorker) => void {
  let backend = '';
  let ready: Promise<void> | null = null;
  const models = new Map<string, Promise<unknown>>();
  const aborts = new Map<number, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();

  const loadModel = (spec: WorkerModel): Promise<unknown> => {
    const key = typeof spec === 'string' ? spec : spec.key;
    if (key && models.has(key)) return models.get(key)!;
    const p = (async () => {
      let art: Record<string, unknown> | null = typeof spec === 'string' ? null : spec.artifacts;
      if (typeof spec === 'string' && host.readArtifacts) art = await host.readArtifacts(spec);
      if (art) {
        const io = tf.io.fromMemory(art);
        return isGraph(art) ? tf.loadGraphModel(io) : tf.loadLayersModel(io);
      }
      const url = spec as string;
      return tf.loadLayersModel(url).catch((e) => tf.loadGraphModel(url).catch(() => Promise.reject(e)));
    })();
    if (key) {
      models.set(key, p);
      p.catch(() => models.delete(key));
    }
    return p;
  };

  const render = async (map: { width: number; height: number; values: Float32Array }, image: RGBAImage | undefined, o: RenderOptions) => {
    const opts = { colormap: o.colormap as ColormapName | undefined, gamma: o.gamma, opacity: o.opacity, style: o.style };
    return image ? renderOverlay(map, image, opts) : renderHeatmap(map, opts);
  };

  const run = async (id: number, req: WorkerExplainRequest, signal: AbortSignal): Promise<WorkerExplainResult> => {
    const t0 = performance.now();
    const model = await loadModel(req.model);
    if (signal.aborted) throw new AbortError();
    type T = { dispose(): void; shape: number[] };
    let x: T;
    if (req.input) x = tf.tensor(req.input.data, req.input.shape);
    else if (req.image) {
      const shape = (model as { inputs?: { shape?: (number | null)[] }[] }).inputs?.[0]?.shape ?? [];
      const dim = (v: number | null | undefined, d: number) => (v && v > 0 ? v : d);
      x = (await imageToInput(tf, req.image, [dim(shape[1], req.image.height), dim(shape[2], req.image.width), dim(shape[3], 3)], req.preprocess)) as T;
    } else throw new CamkitError('E_MISSING', 'A worker explain request needs an image or an input.');
    let r;
    try {
      r = await explain(model as never, x as never, {
        ...(req.options ?? {}),
        method: req.method,
        layer: req.layer,
        target: req.target,
        size: req.size,
        signal,
        onProgress: (p) => host.post({ type: 'progress', id, done: p.done, total: p.total }, []),
      });
    } finally {
      x.dispose();
    }
    const out: WorkerExplainResult = {
      map: r.map, width: r.width, height: r.height, method: r.method, layer: r.layer, classIndex: r.classIndex, score: r.score,
      output: r.output, outputShape: r.outputShape, guided: r.guided, guidedShape: r.guidedShape, backend, ms: 0,
    };
    if (req.render) {
      const first = { width: r.width, height: r.height, values: r.map.subarray(0, r.width * r.height) };
      const px = await render(first, req.image, req.render === true ? {} : req.render);
      out.pixels = { width: px.width, height: px.height, data: px.data };
    }
    out.ms = performance.now() - t0;
    return out;
  };

  const reply = (id: number, p: Promise<unknown>) =>
    p.then(
      (value) => host.post({ type: 'result', id, value }, transferables(value)),
      (e) => host.post({ type: 'error', id, error: wire(e) }, []),
    );

  return (msg: ToWorker) => {
    switch (msg.type) {
      case 'init':
        ready ??= (async () => {
          const [info, picked] = await Promise.all([init(), pickBackend(tf, msg.init, host)]);
          backend = picked.backend;
          host.post({ type: 'ready', info: { backend, kernels: info.kernels, skipped: picked.skipped, kind: host.kind } }, []);
        })().catch((e) => host.post({ type: 'failed', error: wire(e) }, []));
        return;
      case 'abort':
        aborts.get(msg.id)?.abort();
        return;
      case 'dispose': {
        const m = models.get(msg.model);
        models.delete(msg.model);
        void m?.then((x) => (x as { dispose?(): void }).dispose?.(), () => {});
        return;
      }
      case 'render':
        reply(msg.id, (ready ?? Promise.resolve()).then(() => render(msg.map, msg.image, msg.opts)));
        return;
      case 'explain': {
        const ctrl = new AbortController();
        aborts.set(msg.id, ctrl);
        const p = queue.then(async () => {
          await ready;
          if (ctrl.signal.aborted) throw new AbortError();
          return run(msg.id, msg.req, ctrl.signal);
        });
        queue = p.catch(() => {});
        reply(msg.id, p.finally(() => aborts.delete(msg.id)));
        return;
      }
    }
  };
}
