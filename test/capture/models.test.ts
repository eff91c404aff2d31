// Every gradient and perturbation method × {sequential, functional with skips, nested sub-model, GraphModel, function}
// × {cpu, wasm}: explain() runs, maps are sane and no tensor leaks; wasm equals cpu (maps and raw
// gradients, at layers in front of a BatchNorm→max-pool of negative values); gradients agree with
// finite differences through forwardFrom; forwardFrom(activations) reproduces predict.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, explain, makeScore, type ModelAdapter, type ModelFunction } from '../../src/capture/index.js';
import { fuseMaps } from '../../src/core/post.js';
import { init } from '../../src/runtime/init.js';
import { absErr, relErr } from '../helpers/flavors.js';
import { BACKENDS, functionalModel, nestedModel, noLeak, randomInput, sequentialModel, useBackend } from '../helpers/tfmodels.js';
import { tinyGraphModel } from '../helpers/tinygraph.js';
import tol from '../tolerances.json';
import { METHODS as REGISTRY } from '../../src/methods/registry.js';

// From the registry: every method captured at a layer (and its guided fusion), and every
// perturbation method, run with few noise samples so the matrix stays fast (the conventions are
// checked against the golden data in perturbation.test.ts).
const METHODS = REGISTRY.filter((m) => m.explain.via === 'layer' || m.explain.via === 'guided-fusion').map((m) => m.name);
const PERTURBATION = REGISTRY.filter((m) => ['masks', 'ablation', 'noisy-gradients'].includes(m.explain.via)).map((m) => m.name);

interface Fixture {
  name: string;
  model: tf.LayersModel | tf.GraphModel | ModelFunction;
  defaultLayer: string;
  /** Layers whose gradients are compared across backends (some sit before BN → negative max-pool). */
  layers: string[];
}

/** A function built from a LayersModel's own layers, exposing each layer output through the hook. */
function layersFunction(m: tf.LayersModel): ModelFunction {
  return (x, hook) => {
    let t = x;
    for (const l of m.layers) {
      t = l.apply(t, { training: false }) as tf.Tensor;
      if (hook) t = hook(l.name, t);
    }
    return t;
  };
}

async function fixtures(): Promise<Fixture[]> {
  const seq = sequentialModel();
  return [
    { name: 'sequential', model: seq, defaultLayer: 's_conv3', layers: ['s_conv1', 's_pool', 's_conv3'] },
    { name: 'functional', model: functionalModel(), defaultLayer: 'f_out', layers: ['f_stem', 'f_bn', 'f_conv1', 'f_shared', 'f_shared@0', 'f_add'] },
    { name: 'nested', model: nestedModel(), defaultLayer: 'bb_conv2', layers: ['bb_conv1', 'bb_relu1', 'bb_conv2'] },
    { name: 'graph', model: await tinyGraphModel(), defaultLayer: 'g/relu', layers: ['g/stem', 'g/lin', 'g/pool', 'g/dw', 'g/add'] },
    { name: 'function', model: layersFunction(seq), defaultLayer: 's_conv3', layers: ['s_conv1', 's_conv2', 'input'] },
  ];
}

const cpuMaps = new Map<string, Float32Array>();
const cpuGrads = new Map<string, Float32Array>();
const score0 = (out: tf.Tensor) => makeScore('top1', out.shape)(out);

for (const backend of BACKENDS) {
  describe(`capture on ${backend}`, () => {
    let fx: Fixture[] = [];
    let x: tf.Tensor4D;
    beforeAll(async () => {
      await init();
      await useBackend(backend);
      fx = await fixtures();
      x = randomInput(2, 5);
    });

    it('every gradient method on every kind of model: sane maps, no leaks, wasm == cpu', async () => {
      for (const f of fx) {
        for (const method of METHODS) {
          const { value: r, error, leaked } = await noLeak(() => explain(f.model, x, { method }));
          expect(error, `${f.name} ${method}`).toBeUndefined();
          expect(leaked, `${f.name} ${method} leaked`).toBe(0);
          expect(r!.layer).toBe(f.defaultLayer);
          expect([r!.n, r!.height, r!.width]).toEqual([2, 12, 16]);
          expect(r!.map.length).toBe(2 * 12 * 16);
          for (const v of r!.map) expect(v >= 0 && v <= 1).toBe(true);
          if (method === 'GuidedGradCAM') expect(r!.guided!.length).toBe(2 * 12 * 16 * 3);
          const key = `${f.name}/${method}`;
          if (backend === 'cpu') cpuMaps.set(key, r!.map);
          else expect(absErr(r!.map, cpuMaps.get(key)!), key).toBeLessThan(tol.e2e_map_abs);
        }
      }
    });

    it('every perturbation method on every kind of model: sane maps, no leaks, wasm == cpu', async () => {
      for (const f of fx) {
        for (const method of PERTURBATION) {
          const { value: r, error, leaked } = await noLeak(() => explain(f.model, x, { method, numSamples: 2, maxN: 4, batchSize: 5 }));
          expect(error, `${f.name} ${method}`).toBeUndefined();
          expect(leaked, `${f.name} ${method} leaked`).toBe(0);
          expect(r!.layer).toBe(f.defaultLayer);
          expect([r!.n, r!.height, r!.width]).toEqual([2, 12, 16]);
          for (const v of r!.map) expect(v >= 0 && v <= 1).toBe(true);
          const key = `${f.name}/${method}`;
          if (backend === 'cpu') cpuMaps.set(key, r!.map);
          else expect(absErr(r!.map, cpuMaps.get(key)!), key).toBeLessThan(tol.e2e_map_abs);
        }
      }
    });

    it('gradients at every test layer equal the cpu ones (1e-5 of max |ref|), including layers before BN → max-pool', async () => {
      for (const f of fx) {
        const ad = createAdapter(f.model);
        for (const layer of f.layers) {
          const { value, leaked, error } = await noLeak(async () => {
            const r = ad.capture(x, layer, score0);
            const g = (await r.gradients.data()) as Float32Array;
            tf.dispose([r.activations, r.gradients, r.output]);
            return Float32Array.from(g);
          });
          expect(error, `${f.name} ${layer}`).toBeUndefined();
          expect(leaked).toBe(0);
          const key = `${f.name}/${layer}`;
          if (backend === 'cpu') cpuGrads.set(key, value!);
          else expect(relErr(value!, cpuGrads.get(key)!), key).toBeLessThan(tol.e2e_gradients_rel);
        }
      }
    });

    if (backend === 'cpu') {
      it('gradients agree with one-sided finite differences through forwardFrom; forwardFrom(activations) == predict', async () => {
        for (const f of fx) {
          const ad: ModelAdapter = createAdapter(f.model);
          const p = ad.predict(x);
          const pv = await p.data();
          for (const layer of f.layers.filter((l) => l !== 'input')) {
            const before = tf.memory().numTensors;
            const r = ad.capture(x, layer, score0);
            const again = ad.forwardFrom(x, layer, r.activations);
            expect(absErr(await again.data(), pv), `${f.name} ${layer} forwardFrom`).toBeLessThan(1e-5);
            const A = (await r.activations.data()) as Float32Array;
            const G = (await r.gradients.data()) as Float32Array;
            const maxG = G.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            expect(maxG, `${f.name} ${layer} has a gradient`).toBeGreaterThan(0);
            // The 4 largest gradient entries, each checked by a central difference of the score.
            const idx = Array.from(G.keys()).sort((a, b) => Math.abs(G[b]) - Math.abs(G[a])).slice(0, 4);
            const k = p.shape[1]!;
            const cls = Array.from({ length: 2 }, (_, i) => {
              const row = Array.from(pv.slice(i * k, i * k + k));
              return row.indexOf(Math.max(...row));
            });
            const fixed = (out: tf.Tensor) => makeScore(cls, out.shape)(out);
            for (const j of idx) {
              // One-sided differences: at a max-pool or ReLU kink only one side is the gradient.
              const eps = 1e-3 * Math.max(1, Math.abs(A[j]));
              const at = (d: number) =>
                tf.tidy(() => {
                  const a2 = A.slice();
                  a2[j] += d;
                  return fixed(ad.forwardFrom(x, layer, tf.tensor(a2, r.activations.shape))).dataSync()[0];
                });
              const s0 = at(0);
              const fwd = (at(eps) - s0) / eps, bwd = (s0 - at(-eps)) / eps;
              const err = Math.min(Math.abs(fwd - G[j]), Math.abs(bwd - G[j]));
              expect(err, `${f.name} ${layer} element ${j}: fd ${fwd}/${bwd} vs ${G[j]}`).toBeLessThan(3e-2 * maxG + 1e-6);
            }
            tf.dispose([r.activations, r.gradients, r.output, again]);
            expect(tf.memory().numTensors).toBe(before);
          }
          p.dispose();
        }
      });

      it('a single-unit sigmoid head is scored with sum(y) (oneHot refuses depth 1)', async () => {
        const m = tf.sequential({
          layers: [
            tf.layers.conv2d({ inputShape: [12, 16, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'u_conv' }),
            tf.layers.globalAveragePooling2d({}),
            tf.layers.dense({ units: 1, activation: 'sigmoid' }),
          ],
        });
        const { value: r, leaked, error } = await noLeak(() => explain(m, x, { method: 'GradCAMPlusPlus' }));
        expect(error).toBeUndefined();
        expect(leaked).toBe(0);
        expect(r!.layer).toBe('u_conv');
        expect(Array.from(r!.classIndex)).toEqual([0, 0]);
        expect(Array.from(r!.score)).toEqual(Array.from(r!.output));
        m.dispose();
      });

      it('augSmooth: the mean of the 6 flipped/brightened explanations, flipped back, with the clean targets', async () => {
        const m = fx[0].model;
        const clean = await explain(m, x, {});
        const { value: r, leaked } = await noLeak(() => explain(m, x, { augSmooth: true }));
        expect(leaked).toBe(0);
        expect(Array.from(r!.classIndex)).toEqual(Array.from(clean.classIndex));
        const acc = new Float64Array(r!.map.length);
        for (const flip of [false, true]) {
          for (const k of [0.9, 1, 1.1]) {
            const xa = tf.tidy(() => tf.mul(flip ? tf.reverse(x, 2) : x, k));
            const e = await explain(m, xa, { target: Array.from(clean.classIndex) });
            xa.dispose();
            for (let i = 0; i < acc.length; i++) {
              const col = i % 16;
              acc[i] += e.map[flip ? i - col + 15 - col : i] / 6;
            }
          }
        }
        expect(absErr(r!.map, acc)).toBeLessThan(1e-6);
        expect(absErr(r!.map, clean.map)).toBeGreaterThan(1e-3);
      });

      it('a function built from a LayersModel captures exactly what the LayersModel adapter captures', async () => {
        const seq = fx[0].model;
        for (const layer of ['s_conv1', 's_conv3']) {
          const a = createAdapter(seq).capture(x, layer, score0);
          // A fresh adapter (not the cached one): hook names are discovered on first use.
          const b = createAdapter(layersFunction(seq as tf.LayersModel)).capture(x, layer, score0);
          expect(absErr(await b.activations.data(), await a.activations.data())).toBe(0);
          expect(absErr(await b.gradients.data(), await a.gradients.data())).toBe(0);
          tf.dispose([a.activations, a.gradients, a.output, b.activations, b.gradients, b.output]);
        }
      });
    }

    it('several layers fused (mean and max-tanh), per-sample targets, batching and progress', async () => {
      const f = fx[1];
      const layers = ['f_conv1', 'f_add', 'f_out'];
      for (const fuse of ['mean', 'max-tanh'] as const) {
        const { value: r, leaked, error } = await noLeak(() => explain(f.model, x, { method: 'LayerCAM', layers, fuse }));
        expect(error).toBeUndefined();
        expect(leaked).toBe(0);
        expect(r!.layers).toEqual(layers);
        expect(r!.perLayer!.length).toBe(3);
        expect(absErr(r!.map, fuseMaps(r!.perLayer!.map((p) => p.map), fuse, { n: 2 }))).toBe(0);
      }
      const ticks: number[] = [];
      const whole = await explain(f.model, x, { target: [1, 3] });
      const split = await explain(f.model, x, { target: [1, 3], batchSize: 1, onProgress: (p) => ticks.push(p.done / p.total) });
      expect(Array.from(split.classIndex)).toEqual([1, 3]);
      expect(absErr(split.map, whole.map)).toBeLessThan(1e-6);
      expect(absErr(split.score, whole.score)).toBeLessThan(1e-6);
      expect(ticks).toEqual([0.5, 1]);
      const other = await explain(f.model, x, { target: 2 });
      expect(absErr(other.map, whole.map)).toBeGreaterThan(1e-3);
    });
  });
}
