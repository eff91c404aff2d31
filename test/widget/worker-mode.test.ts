// @vitest-environment happy-dom
// The widget's `worker` and `preprocess` attributes: mirrored to properties, reload on change, the
// preset reaches the model, the worker path (a stand-in Worker running camkit's worker server in this
// thread, so the message flow is the real one) and the fallbacks to the main thread.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { CamHeatmap } from '../../src/widget/index.js';
import type { CamHeatmapLoadDetail } from '../../src/widget/cam-heatmap.js';
import { init } from '../../src/runtime/init.js';
import { explain } from '../../src/capture/index.js';
import { imageToInput, type TfLike } from '../../src/widget/live.js';
import { serve, type WorkerTf } from '../../src/worker/serve.js';
import { readArtifacts } from '../../src/worker/node-thread-io.js';
import { renderOverlaySync } from '../../src/render/overlay.js';
import { absErr } from '../helpers/flavors.js';
import { METHODS } from '../../src/methods/registry.js';

const MODEL = join(process.cwd(), 'examples/assets/seq_s0/model.json');
const W = 64, H = 48;
const img = { width: W, height: H, data: Uint8ClampedArray.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7919 + (i >> 6) * 13) % 256)) };
const once = <T = unknown>(el: EventTarget, type: string) => new Promise<CustomEvent<T>>((r) => el.addEventListener(type, (e) => r(e as CustomEvent<T>), { once: true }));
const make = () => document.createElement('cam-heatmap') as CamHeatmap;

let model: tf.LayersModel;
const g = globalThis as Record<string, unknown>;
/** The page's tf: Node's tfjs whose loadLayersModel serves the test model for any URL. */
const pageTf = () => ({ ...tf, loadLayersModel: async () => model }) as unknown as TfLike;

/** A Worker stand-in: camkit's worker server in this thread, messages structured-cloned with transfers. */
class FakeWorker extends EventTarget {
  static made: { url: string; worker: FakeWorker }[] = [];
  static fail = false;
  init: unknown = null;
  requests: unknown[] = [];
  #handle: ((m: never) => void) | null = null;
  constructor(url: URL | string) {
    super();
    FakeWorker.made.push({ url: String(url), worker: this });
  }
  postMessage(m: { type: string; init?: unknown; req?: unknown }, transfer: ArrayBuffer[] = []): void {
    const copy = structuredClone(m, { transfer });
    if (copy.type === 'init') this.init = copy.init;
    if (copy.type === 'explain') this.requests.push(copy.req);
    queueMicrotask(() => {
      if (FakeWorker.fail && copy.type === 'init') {
        this.dispatchEvent(Object.assign(new Event('message'), { data: { type: 'failed', error: { name: 'CamkitError', code: 'E_INIT', message: 'no tfjs' } } }));
        return;
      }
      const wtf = { ...tf, loadLayersModel: async () => tf.loadLayersModel(tf.io.fromMemory((await readArtifacts(MODEL)) as never)) } as unknown as WorkerTf;
      this.#handle ??= serve(wtf, {
        kind: 'web',
        post: (data, t) => this.dispatchEvent(Object.assign(new Event('message'), { data: structuredClone(data, { transfer: t }) })),
        loadWasm: async () => 'not in this test',
      });
      if (copy.type === 'init') copy.init = { ...(copy.init as object), backend: 'cpu' }; // no webgl attempt in happy-dom
      this.#handle(copy as never);
    });
  }
  terminate(): void {}
}

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
  model = await tf.loadLayersModel(tf.io.fromMemory((await readArtifacts(MODEL)) as never));
});
afterEach(() => {
  document.body.innerHTML = '';
  delete g.tf;
  delete g.Worker;
  FakeWorker.made = [];
  FakeWorker.fail = false;
});

async function mapFor(preset: string): Promise<Float32Array> {
  const x = (await imageToInput(tf as unknown as TfLike, img, [H, W, 3], preset)) as tf.Tensor;
  const r = await explain(model, x, { layer: 'conv3' });
  x.dispose();
  return r.map;
}

describe('<cam-heatmap> worker and preprocess attributes', () => {
  it('mirror to properties with defaults', () => {
    const el = make();
    expect([el.worker, el.preprocess]).toEqual(['', '0-1']);
    el.worker = 'vendor/tf.min.js';
    el.preprocess = 'imagenet';
    expect([el.getAttribute('worker'), el.getAttribute('preprocess')]).toEqual(['vendor/tf.min.js', 'imagenet']);
    el.setAttribute('preprocess', 'caffe');
    expect(el.preprocess).toBe('caffe');
    el.worker = '';
    expect(el.hasAttribute('worker')).toBe(false);
    expect(CamHeatmap.observedAttributes).toEqual(expect.arrayContaining(['worker', 'preprocess']));
  });

  it('main thread: the preset reaches the model, and changing it re-explains', async () => {
    const el = make();
    el.tf = tf as unknown as TfLike;
    el.image = img;
    el.model = model;
    el.layer = 'conv3';
    el.preprocess = 'imagenet';
    const first = once<CamHeatmapLoadDetail>(el, 'load');
    document.body.append(el);
    expect((await first).detail).toMatchObject({ source: 'live', thread: 'main', backend: 'cpu' });
    const imagenet = await mapFor('imagenet');
    expect(absErr(Array.from(el.pixels!.data), Array.from(renderOverlaySync({ width: W, height: H, values: imagenet }, img).data))).toBeLessThanOrEqual(1);
    const second = once(el, 'load');
    el.preprocess = '0-1';
    await second;
    const plain = await mapFor('0-1');
    expect(absErr(imagenet, plain)).toBeGreaterThan(1e-3);
    expect(absErr(Array.from(el.pixels!.data), Array.from(renderOverlaySync({ width: W, height: H, values: plain }, img).data))).toBeLessThanOrEqual(1);
  });

  it('main thread: every input attribution of the registry (Saliency, SmoothGrad, IntegratedGradients, Occlusion, RISE, FullGrad) renders its explain() map', async () => {
    // Guided backprop's map has 3 values per pixel (colour), not one.
    const attributions = METHODS.filter((m) => m.kind === 'attribution' && !(m.explain.via === 'input-gradient' && m.explain.guided));
    expect(attributions.length).toBeGreaterThanOrEqual(6);
    const x = (await imageToInput(tf as unknown as TfLike, img, [H, W, 3], '0-1')) as tf.Tensor;
    for (const m of attributions) {
      const el = make();
      el.tf = tf as unknown as TfLike;
      el.image = img;
      el.model = model;
      el.method = m.name;
      el.target = 1;
      const loaded = once<CamHeatmapLoadDetail>(el, 'load');
      const failed = once<{ error: Error }>(el, 'error').then((e) => e.detail.error);
      document.body.append(el);
      const r = await Promise.race([loaded, failed]);
      expect(r, m.name).not.toBeInstanceOf(Error);
      const ref = await explain(model, x, { method: m.name, target: 1 });
      expect(absErr(Array.from(el.pixels!.data), Array.from(renderOverlaySync({ width: W, height: H, values: ref.map }, img).data)), m.name).toBeLessThanOrEqual(1);
      el.remove();
    }
    x.dispose();
  }, 120_000);

  it('an unknown preset is an error event with the valid names', async () => {
    const el = make();
    el.tf = tf as unknown as TfLike;
    el.image = img;
    el.model = model;
    el.preprocess = 'imagenett';
    const err = once<{ code: string; error: Error }>(el, 'error');
    document.body.append(el);
    const d = (await err).detail;
    expect(d.code).toBe('E_UNKNOWN_NAME');
    expect(d.error.message).toMatch(/imagenet/);
  });

  it('worker attribute: runs in the worker (camkit.worker.js beside the widget, tfjs and model URLs resolved against the page), pixels rendered there', async () => {
    g.Worker = FakeWorker;
    const el = make();
    el.image = img;
    el.setAttribute('model', 'models/m/model.json');
    el.setAttribute('worker', 'vendor/tf.min.js');
    el.setAttribute('preprocess', 'imagenet');
    el.setAttribute('layer', 'conv3');
    el.setAttribute('colormap', 'viridis');
    const loaded = once<CamHeatmapLoadDetail>(el, 'load');
    document.body.append(el);
    expect((await loaded).detail).toMatchObject({ source: 'live', thread: 'worker', backend: 'cpu' });
    expect(FakeWorker.made).toHaveLength(1);
    expect(FakeWorker.made[0].url).toMatch(/\/camkit\.worker\.js$/);
    const w = FakeWorker.made[0].worker;
    expect(w.init).toEqual({ tfjs: new URL('vendor/tf.min.js', document.baseURI).href });
    expect(w.requests[0]).toMatchObject({ model: new URL('models/m/model.json', document.baseURI).href, preprocess: 'imagenet', layer: 'conv3', render: { colormap: 'viridis', opacity: 0.5 } });
    expect(g.tf).toBeUndefined(); // no tfjs on the page
    const want = renderOverlaySync({ width: W, height: H, values: await mapFor('imagenet') }, img, { colormap: 'viridis' });
    expect(absErr(Array.from(el.pixels!.data), Array.from(want.data))).toBeLessThanOrEqual(1);
    expect(img.data.byteLength).toBe(W * H * 4); // the widget moved a copy, not the caller's image
    // A second element with the same tfjs URL shares the worker.
    const el2 = make();
    el2.image = img;
    el2.setAttribute('model', 'models/m/model.json');
    el2.setAttribute('worker', 'vendor/tf.min.js');
    const l2 = once<CamHeatmapLoadDetail>(el2, 'load');
    document.body.append(el2);
    expect((await l2).detail.thread).toBe('worker');
    expect(FakeWorker.made).toHaveLength(1);
  });

  it('falls back to the main thread without Worker support, and when the worker cannot start', async () => {
    g.tf = pageTf();
    for (const setup of [() => undefined, () => ((g.Worker = FakeWorker), (FakeWorker.fail = true))]) {
      setup();
      const el = make();
      el.image = img;
      el.setAttribute('model', 'model.json');
      el.setAttribute('worker', 'tf-fallback.min.js');
      el.setAttribute('layer', 'conv3');
      const loaded = once<CamHeatmapLoadDetail>(el, 'load');
      document.body.append(el);
      expect((await loaded).detail).toMatchObject({ source: 'live', thread: 'main' });
      const want = renderOverlaySync({ width: W, height: H, values: await mapFor('0-1') }, img);
      expect(absErr(Array.from(el.pixels!.data), Array.from(want.data))).toBeLessThanOrEqual(1);
    }
  });
});
