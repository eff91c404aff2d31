// Soak: thousands of mixed calls (every computeCam method on random shapes and batches, some
// invalid; explain() on a tiny LayersModel incl. guided backprop and a small Score-CAM; renders)
// with tf.memory().numTensors, the wasm memory and the JS heap flat after warm-up.
//   SOAK_CALLS=10000 npx vitest run test/hardening/soak.test.ts     (default 2500: about 15 s here, well under 60 s)
//   SOAK_SEED=n to replay a sequence; SOAK_BACKEND=wasm for the tfjs wasm backend (default cpu).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { CamkitError, COLORMAPS, computeCam, getRuntime, init, renderHeatmap, renderOverlay, type CamInputs, type CamMap } from '../../src/index.js';
import { explain } from '../../src/capture/index.js';
import { rng } from '../../src/core/random.js';
import { sequentialModel, useBackend, type Backend } from '../helpers/tfmodels.js';

const CALLS = Math.max(50, Number(process.env.SOAK_CALLS ?? 2500));
const SEED = Number(process.env.SOAK_SEED ?? 20261126);
const BACKEND = (process.env.SOAK_BACKEND ?? 'cpu') as Backend;
const WARMUP = Math.min(60, Math.floor(CALLS / 5));
// Heap growth allowed between the end of warm-up and the end, after a full GC. Without gc() the
// heap floats with the collector's schedule, so the bound is wide.
const HEAP_SLACK = 8 * 1024 * 1024;
const HEAP_SLACK_NO_GC = 64 * 1024 * 1024;

/** The seeded generator of src/core/random.ts, so a failing sequence can be replayed with SOAK_SEED. */
function seeded(seed: number) {
  const next = rng(seed);
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

/** gc() when the VM allows it: --expose-gc, or the v8 flag set at run time (a standard Node trick). */
function getGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

const GRADIENT = ['GradCAM', 'HiResCAM', 'GradCAMElementWise', 'GradCAMPlusPlus', 'XGradCAM', 'LayerCAM', 'EigenGradCAM'] as const;
const OTHER = ['EigenCAM', 'CAM', 'ScoreCAM', 'AblationCAM'] as const;
const EXPLAIN = ['GradCAM', 'GradCAMPlusPlus', 'GuidedBackprop', 'GuidedGradCAM', 'ScoreCAM', 'EigenCAM'] as const;
const MAX = { n: 3, h: 14, w: 14, c: 48, out: 96, render: 160 };

describe(`soak: ${CALLS} mixed calls on ${BACKEND} (seed ${SEED})`, () => {
  let model: tf.LayersModel;
  let gc: (() => void) | null;
  beforeAll(async () => {
    await useBackend(BACKEND);
    await init();
    model = sequentialModel();
    gc = getGc();
  });
  afterAll(() => model?.dispose());

  it('no tensor, wasm memory or heap growth after warm-up; every result valid, every bad call typed', async () => {
    const r = seeded(SEED);
    const rt = await getRuntime();
    const tensors0 = tf.memory().numTensors;
    const counts: Record<string, number> = {};
    const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
    let wasmAfterWarmup = 0, heapAfterWarmup = 0, tfBytesAfterWarmup = 0;
    const t0 = performance.now();

    const randArray = (len: number, bad: boolean) => {
      const d = new Float32Array(len);
      for (let i = 0; i < len; i++) d[i] = r.next() * 2 - 1;
      if (bad) d[r.int(0, len - 1)] = r.pick([NaN, Infinity, -Infinity]);
      return d;
    };

    async function camCall(big = false, only?: string): Promise<void> {
      const n = big ? MAX.n : r.int(1, MAX.n), h = big ? MAX.h : r.int(1, MAX.h), w = big ? MAX.w : r.int(1, MAX.w), c = big ? MAX.c : r.int(1, MAX.c);
      const method = only ?? r.pick([...GRADIENT, ...GRADIENT, ...OTHER]);
      const invalid = !big && r.next() < 0.15 ? r.pick(['nan', 'shape', 'name', 'disposed', 'dtype'] as const) : null;
      const shape = r.next() < 0.2 && n === 1 ? [h, w, c] : [n, h, w, c];
      const asTensor = r.next() < 0.5;
      const wrap = (d: Float32Array, s: number[]) => (asTensor ? tf.tensor(d, s) : { data: d, shape: s });
      const made: tf.Tensor[] = [];
      const keep = <T,>(x: T) => (x instanceof tf.Tensor && made.push(x), x);
      const A = keep(wrap(randArray(n * h * w * c, invalid === 'nan' && method === 'EigenCAM'), shape));
      const inputs: CamInputs = { activations: A as CamInputs['activations'] };
      if ((GRADIENT as readonly string[]).includes(method)) {
        const gs = invalid === 'shape' ? [n, h, w, c + 1] : shape;
        inputs.gradients = keep(wrap(randArray(gs.reduce((a, b) => a * b, 1), invalid === 'nan'), gs)) as CamInputs['gradients'];
      }
      if (method === 'CAM') {
        const k = r.int(1, 10);
        const ws = invalid === 'shape' ? [c + 1, k] : [c, k];
        inputs.classifierWeights = keep(wrap(randArray(ws[0] * k, false), ws)) as CamInputs['classifierWeights'];
        inputs.classIndex = r.int(0, k - 1);
      }
      if (method === 'ScoreCAM' || method === 'AblationCAM') inputs.scores = Array.from(randArray(n * c + (invalid === 'shape' ? 1 : 0), invalid === 'nan'));
      if (method === 'AblationCAM') inputs.originalScore = 1 + r.next();
      if (invalid === 'dtype') {
        made.forEach((t) => t.dispose());
        made.length = 0;
        inputs.activations = keep(tf.zeros(shape, 'int32'));
      }
      if (invalid === 'disposed' && asTensor) made[0].dispose();
      const outputSize = r.next() < 0.3 ? ([r.int(1, MAX.out), r.int(1, MAX.out)] as [number, number]) : big ? ([MAX.out, MAX.out] as [number, number]) : undefined;
      const name = invalid === 'name' ? method + 'x' : method;
      const bad = invalid !== null && !(invalid === 'disposed' && !asTensor) && !(invalid === 'nan' && !inputs.gradients && method !== 'EigenCAM' && !inputs.scores) && !(invalid === 'shape' && !inputs.gradients && !inputs.classifierWeights && !inputs.scores);
      try {
        const res = await computeCam(name, inputs, { outputSize });
        expect(bad, `${method} ${invalid} [${shape}] should have thrown`).toBe(false);
        expect(res.map.length).toBe(res.n * res.width * res.height);
        for (let k = 0; k < res.map.length; k++) if (!(res.map[k] >= 0 && res.map[k] <= 1)) throw new Error(`${method} [${shape}]: map[${k}] = ${res.map[k]}`);
        count(`cam:${method}`);
      } catch (e) {
        if (!(e instanceof CamkitError) || !bad) throw e;
        count(`bad:${invalid}`);
      } finally {
        tf.dispose(made);
      }
    }

    async function renderCall(big = false, kind?: 'overlay' | 'heatmap'): Promise<void> {
      const mw = big ? 24 : r.int(1, 24), mh = big ? 24 : r.int(1, 24);
      const map: CamMap = { width: mw, height: mh, values: Float32Array.from({ length: mw * mh }, () => r.next()) };
      const W = big ? MAX.render : r.int(1, MAX.render), H = big ? MAX.render : r.int(1, MAX.render);
      const colormap = r.pick(COLORMAPS);
      const which = kind ?? (r.next() < 0.5 ? 'overlay' : r.next() < 0.9 ? 'heatmap' : 'bad');
      if (which === 'overlay') {
        const image = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4).fill(r.int(0, 255)) };
        const o = await renderOverlay(map, image, { colormap, opacity: r.next() });
        expect(o.data.length).toBe(W * H * 4);
        count('overlay');
      } else if (which === 'heatmap') {
        const o = await renderHeatmap(map, { colormap, width: W, height: H });
        expect(o.data.length).toBe(W * H * 4);
        count('heatmap');
      } else {
        await expect(renderHeatmap(map, { colormap: 'jett' as never })).rejects.toMatchObject({ code: 'E_UNKNOWN_NAME' });
        count('bad:colormap');
      }
    }

    async function explainCall(): Promise<void> {
      const method = r.pick(EXPLAIN);
      const n = r.int(1, 2);
      const x = tf.randomUniform([n, 12, 16, 3], 0, 1, 'float32', r.int(0, 1e6));
      try {
        const opts = { method, layer: r.pick(['s_conv1', 's_conv2', 's_conv3']), target: r.next() < 0.5 ? ('top1' as const) : r.int(0, 3), maxN: 3 };
        if (r.next() < 0.1) {
          await expect(explain(model, x, { ...opts, target: 9 })).rejects.toMatchObject({ code: 'E_TARGET' });
          count('bad:target');
          return;
        }
        const res = await explain(model, x, opts);
        if (method === 'GuidedBackprop') expect(res.guided!.length).toBe(n * 12 * 16 * 3);
        else for (let k = 0; k < res.map.length; k++) if (!(res.map[k] >= 0 && res.map[k] <= 1)) throw new Error(`explain ${method}: map[${k}] = ${res.map[k]}`);
        count(`explain:${method}`);
      } finally {
        x.dispose();
      }
    }

    // Warm-up starts with every method and render at the largest sizes the mix can draw, so the
    // arena reaches its high-water mark before the measurement starts.
    for (const m of [...GRADIENT, ...OTHER]) await camCall(true, m);
    await renderCall(true, 'overlay');
    await renderCall(true, 'heatmap');
    for (let i = 0; i < CALLS; i++) {
      const kind = r.next() < 0.65 ? 'cam' : r.next() < 0.6 ? 'render' : 'explain';
      if (kind === 'cam') await camCall();
      else if (kind === 'render') await renderCall();
      else await explainCall();
      expect(tf.memory().numTensors, `tensors after call ${i} (seed ${SEED})`).toBe(tensors0);
      if (i === WARMUP - 1) {
        gc?.();
        wasmAfterWarmup = rt.arena.byteLength;
        heapAfterWarmup = process.memoryUsage().heapUsed;
        tfBytesAfterWarmup = tf.memory().numBytes;
      }
    }
    gc?.();
    const heapEnd = process.memoryUsage().heapUsed;
    const seconds = (performance.now() - t0) / 1000;
    const report = {
      calls: CALLS,
      seconds: Math.round(seconds * 10) / 10,
      backend: BACKEND,
      kernels: rt.flavor,
      gc: !!gc,
      wasmBytes: [wasmAfterWarmup, rt.arena.byteLength],
      heapMB: [heapAfterWarmup / 2 ** 20, heapEnd / 2 ** 20].map((v) => Math.round(v * 10) / 10),
      tfBytes: [tfBytesAfterWarmup, tf.memory().numBytes],
      counts,
    };
    console.log(`soak ${JSON.stringify(report)}`);

    expect(tf.memory().numTensors).toBe(tensors0);
    expect(tf.memory().numBytes).toBe(tfBytesAfterWarmup);
    expect(rt.arena.byteLength, 'wasm memory grew after warm-up').toBe(wasmAfterWarmup);
    expect(heapEnd - heapAfterWarmup, `heap grew by ${((heapEnd - heapAfterWarmup) / 2 ** 20).toFixed(1)} MB`).toBeLessThan(gc ? HEAP_SLACK : HEAP_SLACK_NO_GC);
    // the mix really happened
    const kinds = Object.keys(counts);
    expect(kinds.filter((k) => k.startsWith('cam:')).length).toBeGreaterThanOrEqual(CALLS >= 200 ? 8 : 3);
    expect(kinds.some((k) => k.startsWith('bad:'))).toBe(true);
    expect(kinds.some((k) => k.startsWith('explain:'))).toBe(true);
  });
});
