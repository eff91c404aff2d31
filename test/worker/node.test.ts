// camkit/worker in Node: a worker_threads worker (from the TypeScript sources through tsx) runs
// explain() and rendering with the same results as the calling thread, moves inputs and maps as
// transferables, reports progress, stops on an AbortSignal, and picks wasm when it is installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { createWorker, type CamkitWorker } from '../../src/worker/index.js';
import { explain } from '../../src/capture/index.js';
import { imageToInput, type TfLike } from '../../src/widget/live.js';
import { renderOverlay } from '../../src/render/overlay.js';
import { init } from '../../src/runtime/init.js';
import { AbortError, InputError, NameError } from '../../src/errors.js';
import { absErr } from '../helpers/flavors.js';

const MODEL = fileURLToPath(new URL('../../examples/assets/seq_s0/model.json', import.meta.url));
const W = 64, H = 48;
const image = () => ({ width: W, height: H, data: Uint8ClampedArray.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7919 + (i >> 6) * 13) % 256)) });

describe('camkit/worker in a worker_threads worker', () => {
  let cpu: CamkitWorker;
  let auto: CamkitWorker;
  let model: tf.LayersModel;
  beforeAll(async () => {
    await init();
    await tf.setBackend('cpu');
    [cpu, auto] = await Promise.all([createWorker({ backend: 'cpu' }), createWorker()]);
    model = await tf.loadLayersModel(tf.io.fromMemory(await (await import('../../src/worker/node-thread-io.js')).readArtifacts(MODEL) as never));
  });
  afterAll(() => {
    cpu?.terminate();
    auto?.terminate();
  });

  it('starts on cpu when asked, and on wasm (the fastest installed) by default', async () => {
    expect(await cpu.ready).toMatchObject({ backend: 'cpu', kind: 'node', skipped: [] });
    const info = await auto.ready;
    expect(info.backend).toBe('wasm');
    expect(['simd', 'scalar', 'js']).toContain(info.kernels);
  });

  it('Grad-CAM from an image (preprocessed in the worker) equals the calling thread, with the overlay rendered there', async () => {
    const img = image();
    const x = (await imageToInput(tf as unknown as TfLike, img, [H, W, 3], 'imagenet')) as tf.Tensor;
    const here = await explain(model, x, { method: 'GradCAM', layer: 'conv3', target: 0 });
    x.dispose();
    const sent = image();
    const progress: number[] = [];
    const r = await cpu.explain(
      { model: MODEL, image: sent, preprocess: 'imagenet', method: 'GradCAM', layer: 'conv3', target: 0, render: { colormap: 'viridis', opacity: 0.6 } },
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(sent.data.byteLength).toBe(0); // moved, not copied
    expect(r.backend).toBe('cpu');
    expect([r.width, r.height, r.layer, r.method]).toEqual([W, H, 'conv3', 'GradCAM']);
    expect(r.map).toBeInstanceOf(Float32Array);
    expect(absErr(r.map, here.map)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(r.output)).toEqual(Array.from(here.output));
    const px = await renderOverlay({ width: W, height: H, values: here.map }, img, { colormap: 'viridis', opacity: 0.6 });
    expect(r.pixels!.data).toBeInstanceOf(Uint8ClampedArray);
    expect(absErr(Array.from(r.pixels!.data), Array.from(px.data))).toBeLessThanOrEqual(1);
    expect(progress.length).toBeGreaterThan(0);
  });

  it('the preprocess preset reaches the model (imagenet ≠ 0-1), and a ready input tensor works too', async () => {
    const a = await cpu.explain({ model: MODEL, image: image(), preprocess: 'imagenet', layer: 'conv3', target: 0 });
    const b = await cpu.explain({ model: MODEL, image: image(), layer: 'conv3', target: 0 });
    expect(absErr(a.output, b.output)).toBeGreaterThan(1e-3);
    const x = (await imageToInput(tf as unknown as TfLike, image(), [H, W, 3])) as tf.Tensor;
    const data = (await x.data()) as Float32Array;
    x.dispose();
    const c = await cpu.explain({ model: MODEL, input: { data: Float32Array.from(data), shape: [1, H, W, 3] }, layer: 'conv3', target: 0 });
    expect(absErr(c.map, b.map)).toBe(0);
  });

  it('wasm in the worker matches cpu within 1e-3; guided backprop comes back too', async () => {
    const a = await auto.explain({ model: MODEL, image: image(), method: 'GuidedGradCAM', layer: 'conv3', target: 0 });
    const b = await cpu.explain({ model: MODEL, image: image(), method: 'GuidedGradCAM', layer: 'conv3', target: 0 });
    expect(a.backend).toBe('wasm');
    expect(absErr(a.map, b.map)).toBeLessThanOrEqual(1e-3);
    expect(a.guided!.length).toBe(W * H * 3);
    expect(absErr(a.guided!, b.guided!)).toBeLessThanOrEqual(1e-3);
  });

  it('an AbortSignal stops a long explanation with AbortError; the worker keeps serving', async () => {
    const ctrl = new AbortController();
    const p = cpu.explain(
      { model: MODEL, image: image(), method: 'ScoreCAM', layer: 'conv3', target: 0 },
      { signal: ctrl.signal, onProgress: (q) => q.done >= 1 && ctrl.abort() },
    );
    await expect(p).rejects.toBeInstanceOf(AbortError);
    const already = new AbortController();
    already.abort();
    await expect(cpu.explain({ model: MODEL, image: image() }, { signal: already.signal })).rejects.toBeInstanceOf(AbortError);
    const ok = await cpu.explain({ model: MODEL, image: image(), layer: 'conv3' });
    expect(ok.map.length).toBe(W * H);
  });

  it('errors come back as camkit error classes with their codes', async () => {
    await expect(cpu.explain({ model: MODEL, image: image(), method: 'GradCAMM' })).rejects.toBeInstanceOf(NameError);
    await expect(cpu.explain({ model: MODEL, image: image(), preprocess: 'nope' })).rejects.toMatchObject({ code: 'E_UNKNOWN_NAME' });
    await expect(cpu.explain({ model: MODEL, input: { data: new Float32Array(4), shape: [4] } })).rejects.toBeInstanceOf(InputError);
    const bad = await createWorker({ backend: 'nosuch' });
    await expect(bad.ready).rejects.toMatchObject({ code: 'E_INIT' });
    bad.terminate();
  });

  it('render() in the worker equals renderOverlay here; transfer:false keeps the caller\'s arrays', async () => {
    const map = { width: 8, height: 6, values: Float32Array.from({ length: 48 }, (_, i) => i / 47) };
    const img = image();
    const here = await renderOverlay(map, img, { colormap: 'jet', opacity: 0.5 });
    const there = await cpu.render(map, img, { colormap: 'jet', opacity: 0.5 }, { transfer: false });
    expect(map.values.length).toBe(48);
    expect(img.data.length).toBe(W * H * 4);
    expect(Buffer.from(there.data).equals(Buffer.from(here.data))).toBe(true);
  });
});
