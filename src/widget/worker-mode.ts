// Live mode in a Web Worker (the `worker` attribute: the URL of the tfjs script). The page's main
// thread decodes the image and draws; the model, the explanation and the first render run in one
// shared worker per tfjs URL (dist/camkit.worker.js beside the widget script). Without Worker support,
// or when the worker cannot start, live mode runs on the main thread, loading that tfjs script into
// the page if it has no `tf` yet.
import { CamkitError } from '../errors.js';
import type { RGBAImage } from '../render/types.js';
import { CamkitWorker, startWebWorker, webPort } from '../worker/client.js';
import type { RenderOptions, WorkerExplainResult } from '../worker/protocol.js';
import { workerScriptUrl } from './capture-loader.js';
import type { TfLike } from './live.js';

const workers = new Map<string, Promise<CamkitWorker>>();

/** The page's worker for this tfjs URL, started once; rejects when Workers are missing or it cannot start. */
export function pageWorker(tfjs: string): Promise<CamkitWorker> {
  let w = workers.get(tfjs);
  if (!w) {
    w = (async () => {
      if (typeof Worker === 'undefined') throw new CamkitError('E_INIT', 'No Worker support.');
      const cw = new CamkitWorker(webPort(startWebWorker(workerScriptUrl())), { tfjs });
      try {
        await cw.ready;
      } catch (e) {
        cw.terminate();
        throw e;
      }
      return cw;
    })();
    w.catch(() => workers.delete(tfjs));
    workers.set(tfjs, w);
  }
  return w;
}

export interface WorkerLiveOptions {
  tfjs: string;
  model: string;
  image: RGBAImage;
  preprocess?: string;
  method?: string;
  layer?: string;
  target?: number;
  render: RenderOptions;
  signal: AbortSignal;
  onProgress: (p: { done: number; total: number }) => void;
}

/** Explains in the page's worker; the image is copied once and the copy moved. */
export async function runInWorker(o: WorkerLiveOptions): Promise<WorkerExplainResult> {
  const w = await pageWorker(o.tfjs);
  const image = { width: o.image.width, height: o.image.height, data: new Uint8ClampedArray(o.image.data) };
  return w.explain(
    { model: o.model, image, preprocess: o.preprocess, method: o.method, layer: o.layer, target: o.target, render: o.render },
    { signal: o.signal, onProgress: o.onProgress },
  );
}

let tfScript: Promise<TfLike> | null = null;

/** The fallback: the page's `tf`, or the worker attribute's tfjs script added to the page once. */
export function pageTf(tfjs: string): Promise<TfLike> {
  const g = globalThis as { tf?: TfLike };
  if (g.tf) return Promise.resolve(g.tf);
  tfScript ??= new Promise<TfLike>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = tfjs;
    s.async = true;
    s.onload = () => (g.tf ? resolve(g.tf) : reject(new CamkitError('E_INIT', `${tfjs} defined no global tf.`)));
    s.onerror = () => {
      tfScript = null;
      reject(new CamkitError('E_INIT', `Could not load ${tfjs}.`));
    };
    document.head.appendChild(s);
  });
  return tfScript;
}
