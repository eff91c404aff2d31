// Input attributions (Saliency, SmoothGrad, IntegratedGradients, Occlusion, RISE) through explain(),
// each against an independent formulation: plain tf.grad, closed forms on linear and quadratic
// function models, a fine Riemann sum, brute-force occlusion, the masks' own statistics.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { explain } from '../../src/capture/explain.js';
import { createAdapter } from '../../src/capture/adapter.js';
import { classTarget, softmaxTarget } from '../../src/capture/target-library.js';
import { RiseMasks, gaussLegendre } from '../../src/capture/attribution.js';
import { AbortError, OptionError } from '../../src/errors.js';
import { METHODS, unsupportedReason } from '../../src/methods/registry.js';
import { createRuntime, type Runtime } from '../../src/runtime/init.js';
import { relErr } from '../helpers/flavors.js';
import { goldenImage, goldenModel, loadGolden } from '../helpers/golden.js';

const g = loadGolden();
let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime('simd');
  await tf.setBackend('cpu');
});

const ATTR = METHODS.filter((m) => m.explain.via === 'input-attribution' || m.explain.via === 'input-masks').map((m) => m.name);
const [SAL, SG, IG, OCC, RISE] = ['Saliency', 'SmoothGrad', 'IntegratedGradients', 'Occlusion', 'RISE'];

/** A linear model f(x) = Σ v·x (one output column), as a function model. */
function linear(v: Float32Array, shape: number[]) {
  const w = tf.tensor(v, [1, ...shape]);
  return { fn: (x: tf.Tensor) => tf.reshape(tf.sum(tf.mul(x, w), [1, 2, 3]), [-1, 1]), dispose: () => w.dispose() };
}

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 4294967296;
  });
}

describe('registry', () => {
  it('the five attributions are registered as heatmap attributions', () => {
    expect(ATTR).toEqual([SAL, SG, IG, OCC, RISE]);
    for (const name of ATTR) {
      const m = METHODS.find((d) => d.name === name)!;
      expect(m.kind).toBe('attribution');
      expect(unsupportedReason(m)).toBeNull();
    }
  });
});

describe('Gauss–Legendre nodes', () => {
  it('integrate polynomials of degree ≤ 2n−1 exactly on [0, 1]; n = 2 nodes are 1/2 ± 1/(2√3)', () => {
    const q2 = gaussLegendre(2);
    expect(q2.alphas[0]).toBeCloseTo(0.5 - 0.5 / Math.sqrt(3), 14);
    expect(q2.weights[1]).toBeCloseTo(0.5, 14);
    for (const n of [1, 3, 7, 50]) {
      const { alphas, weights } = gaussLegendre(n);
      for (let k = 0; k <= 2 * n - 1; k += Math.max(1, Math.floor(n / 4))) {
        let s = 0;
        for (let i = 0; i < n; i++) s += weights[i] * alphas[i] ** k;
        expect(Math.abs(s - 1 / (k + 1))).toBeLessThan(1e-12);
      }
      for (let i = 1; i < n; i++) expect(alphas[i]).toBeGreaterThan(alphas[i - 1]);
    }
  });
});

describe('Saliency', () => {
  it('equals max over channels of |tf.grad| of the target logit (golden CNN, two images, per-image targets)', async () => {
    const model = await goldenModel(g, 'res_s1');
    const x = tf.concat([goldenImage(g, 'img0'), goldenImage(g, 'img2')]);
    const targets = [1, 3];
    const before = tf.memory().numTensors;
    const r = await explain(model, x, { method: SAL, target: targets, values: 'raw', runtime: rt });
    expect(tf.memory().numTensors).toBe(before);
    const ref = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(model.predict(v) as tf.Tensor, tf.oneHot(tf.tensor1d(targets, 'int32'), 5))))(x));
    const gr = (await ref.data()) as Float32Array;
    ref.dispose();
    expect(relErr(r.attribution!, gr)).toBeLessThan(1e-6);
    const [n, H, W, C] = x.shape;
    const want = new Float32Array(n * H * W);
    for (let p = 0; p < want.length; p++) want[p] = Math.max(...Array.from({ length: C }, (_, c) => Math.abs(gr[p * C + c])));
    expect(relErr(r.lowres, want)).toBeLessThan(1e-6);
    expect(relErr(r.map, want)).toBeLessThan(1e-6);
    expect([r.height, r.width, r.layer]).toEqual([H, W, 'input']);
    expect(Array.from(r.classIndex)).toEqual(targets);
    x.dispose();
  });
});

describe('targets', () => {
  it('score functions give what the equivalent class targets give (softmax and logits; gradient and forward-only)', async () => {
    const model = await goldenModel(g, 'seq_s0');
    const x = tf.concat([goldenImage(g, 'img0'), goldenImage(g, 'img3')]);
    const before = tf.memory().numTensors;
    const a = await explain(model, x, { method: SAL, target: softmaxTarget(2), values: 'raw', runtime: rt });
    const b = await explain(model, x, { method: SAL, target: 2, scoreOn: 'probabilities', values: 'raw', runtime: rt });
    expect(relErr(a.attribution!, b.attribution!)).toBeLessThan(1e-5);
    const c = await explain(model, x, { method: OCC, target: classTarget(1), values: 'raw', runtime: rt });
    const d = await explain(model, x, { method: OCC, target: [1, 1], values: 'raw', runtime: rt });
    expect(relErr(c.lowres, d.lowres)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('SmoothGrad', () => {
  it('σ = noiseLevel·(max − min): on f = ½Σx² the mean square gradient is x² + σ²', async () => {
    // f(x) = ½Σx² has gradient x + ε; E[(x + ε)²] = x² + σ² per value.
    const x = tf.tensor4d([0, 1, 2, 4], [1, 2, 2, 1]);
    const f = (v: tf.Tensor) => tf.reshape(tf.mul(0.5, tf.sum(tf.square(v), [1, 2, 3])), [-1, 1]);
    const N = 4000;
    const r = await explain(f, x, { method: SG, numSamples: N, noiseVariant: 'smoothgrad_sq', noiseLevel: 0.25, batchSize: 500, values: 'raw', runtime: rt });
    const sigma = 0.25 * 4;
    [0, 1, 2, 4].forEach((v, j) => expect(Math.abs(r.attribution![j] - (v * v + sigma * sigma)) / (v * v + sigma * sigma)).toBeLessThan(0.1));
    // vargrad: Var|x + ε| ≈ σ² where |x| ≫ σ (x = 4 → σ = 1)
    const v = await explain(f, x, { method: SG, numSamples: N, noiseVariant: 'vargrad', noiseLevel: 0.25, batchSize: 500, values: 'raw', runtime: rt });
    expect(Math.abs(v.attribution![3] - 1)).toBeLessThan(0.12);
    x.dispose();
  });

  it('is the saliency at noise 0 for every variant, seeded, and batch-size independent', async () => {
    const model = await goldenModel(g, 'seq_s0');
    const x = goldenImage(g, 'img1');
    const s = await explain(model, x, { method: SAL, target: 2, values: 'raw', runtime: rt });
    const a = Array.from(s.attribution!, Math.abs);
    for (const variant of ['smoothgrad', 'smoothgrad_sq', 'vargrad'] as const) {
      const r = await explain(model, x, { method: SG, target: 2, numSamples: 3, noiseLevel: 0, noiseVariant: variant, values: 'raw', runtime: rt });
      const want = variant === 'smoothgrad' ? a : variant === 'smoothgrad_sq' ? a.map((v) => v * v) : a.map(() => 0);
      expect(Math.max(...Array.from(r.attribution!, (v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-6 * Math.max(...want, 1));
    }
    const before = tf.memory().numTensors;
    const r1 = await explain(model, x, { method: SG, target: 2, numSamples: 6, seed: 5, batchSize: 4, runtime: rt });
    const r2 = await explain(model, x, { method: SG, target: 2, numSamples: 6, seed: 5, batchSize: 6, runtime: rt });
    const r3 = await explain(model, x, { method: SG, target: 2, numSamples: 6, seed: 6, runtime: rt });
    expect(tf.memory().numTensors).toBe(before);
    expect(relErr(r1.attribution!, r2.attribution!)).toBeLessThan(1e-6);
    expect(relErr(r1.attribution!, r3.attribution!)).toBeGreaterThan(1e-3);
    await expect(explain(model, x, { method: SG, noiseVariant: 'nope' as never, runtime: rt })).rejects.toThrow(/noiseVariant/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('IntegratedGradients', () => {
  it('is exact on a linear model: attribution = (x − baseline)·v, completeness error ~ float32', async () => {
    const v = rand(6 * 5 * 3, 3);
    const lin = linear(v, [6, 5, 3]);
    const x = tf.tensor4d(rand(6 * 5 * 3, 4), [1, 6, 5, 3]);
    const xs = (await x.data()) as Float32Array;
    for (const baseline of [0, 0.5]) {
      const r = await explain(lin.fn, x, { method: IG, baseline, values: 'raw', runtime: rt });
      expect(relErr(r.attribution!, Float32Array.from(v, (w, j) => w * (xs[j] - baseline)))).toBeLessThan(1e-5);
      expect(Math.abs(r.completeness![0])).toBeLessThan(1e-4);
    }
    x.dispose();
    lin.dispose();
  });

  it('golden CNNs: completeness error small, and equal to a 200-step midpoint Riemann sum of tf.grad', async () => {
    const errors: string[] = [];
    for (const [name, img, cls] of [['seq_s0', 'img0', 0], ['res_s1', 'img3', 3]] as const) {
      const model = await goldenModel(g, name);
      const x = goldenImage(g, img);
      const before = tf.memory().numTensors;
      const r = await explain(model, x, { method: IG, target: cls, values: 'raw', runtime: rt, batchSize: 25 });
      expect(tf.memory().numTensors).toBe(before);
      const rel = Math.abs(r.completeness![0]) / Math.abs(r.scoreDifference![0]);
      // Independent: midpoint rule with 200 steps, gradients straight from tf.grad.
      const K = 200;
      const ref = tf.tidy(() => {
        const alphas = tf.tensor1d(Array.from({ length: K }, (_, k) => (k + 0.5) / K)).reshape([K, 1, 1, 1]);
        const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.slice(model.predict(v) as tf.Tensor, [0, cls], [-1, 1])));
        let acc = tf.zerosLike(x);
        for (let k0 = 0; k0 < K; k0 += 50) acc = tf.add(acc, tf.sum(grad(tf.mul(tf.slice(alphas, [k0], [50]), x)), 0, true));
        return tf.mul(x, tf.div(acc, K));
      });
      const want = (await ref.data()) as Float32Array;
      ref.dispose();
      const riemann = relErr(r.attribution!, want);
      errors.push(`${name}/${img}: delta ${r.completeness![0].toExponential(2)}, F(x)−F(0) ${r.scoreDifference![0].toFixed(3)}, rel ${rel.toExponential(2)}; vs 200-step midpoint ${riemann.toExponential(2)}`);
      expect(rel).toBeLessThan(0.05);
      expect(riemann).toBeLessThan(5e-2);
      x.dispose();
    }
    console.log(`IntegratedGradients completeness (50 Gauss–Legendre nodes):\n  ${errors.join('\n  ')}`);
  }, 600_000); // 2 × (50 + 200) backward passes of the golden CNNs: minutes on a busy 2-core machine
});

describe('Occlusion', () => {
  it('matches brute-force window means on a linear model (window 3, stride 2, edge windows flush)', async () => {
    const H = 7, W = 6, C = 2;
    const v = rand(H * W * C, 8);
    const lin = linear(v, [H, W, C]);
    const xs = rand(H * W * C, 9);
    const x = tf.tensor4d(xs, [1, H, W, C]);
    const r = await explain(lin.fn, x, { method: OCC, window: 3, stride: 2, values: 'raw', runtime: rt, batchSize: 5 });
    const acc = new Float64Array(H * W), cnt = new Float64Array(H * W);
    for (const y0 of [0, 2, 4]) {
      for (const x0 of [0, 2, 3]) {
        let d = 0;
        for (let y = y0; y < y0 + 3; y++) for (let xx = x0; xx < x0 + 3; xx++) for (let c = 0; c < C; c++) d += v[(y * W + xx) * C + c] * xs[(y * W + xx) * C + c];
        for (let y = y0; y < y0 + 3; y++) for (let xx = x0; xx < x0 + 3; xx++) (acc[y * W + xx] += d), cnt[y * W + xx]++;
      }
    }
    expect(relErr(r.lowres, Float32Array.from(acc, (a, p) => a / cnt[p]))).toBeLessThan(1e-5);
    // window 1: exactly v·x summed over channels
    const r1 = await explain(lin.fn, x, { method: OCC, window: 1, stride: 1, values: 'raw', runtime: rt });
    expect(relErr(r1.lowres, Float32Array.from({ length: H * W }, (_, p) => v[2 * p] * xs[2 * p] + v[2 * p + 1] * xs[2 * p + 1]))).toBeLessThan(1e-5);
    await expect(explain(lin.fn, x, { method: OCC, window: 0, runtime: rt })).rejects.toBeInstanceOf(OptionError);
    x.dispose();
    lin.dispose();
  });
});

describe('RISE', () => {
  it('masks keep ≈ p of the image; a model that reads one pixel gets its peak there, at x·E[M²]/p', async () => {
    const H = 12, W = 10, q = 5 * W + 3;
    const m = new RiseMasks(400, 4, 0.5, H, W, 0);
    const buf = new Float32Array(H * W);
    let mean = 0, sq = 0;
    for (let k = 0; k < 400; k++) {
      m.render(k, buf);
      for (const b of buf) expect(b >= 0 && b <= 1).toBe(true);
      mean += buf.reduce((a, b) => a + b, 0) / (H * W) / 400;
      sq += (buf[q] * buf[q]) / 400;
    }
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    const x = tf.fill([1, H, W, 1], 2) as tf.Tensor4D;
    const f = (v: tf.Tensor) => tf.reshape(tf.slice(v, [0, 5, 3, 0], [-1, 1, 1, 1]), [-1, 1]);
    const before = tf.memory().numTensors;
    const r = await explain(f, x, { method: RISE, numSamples: 400, cells: 4, values: 'raw', runtime: rt, batchSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    let best = 0;
    for (let p = 1; p < H * W; p++) if (r.lowres[p] > r.lowres[best]) best = p;
    expect(best).toBe(q);
    expect(r.lowres[q]).toBeCloseTo((2 * sq) / 0.5, 4);
    x.dispose();
  });
});

describe('every attribution: batched, progress, abort, no leaks, a heatmap through explain', () => {
  it.each([SAL, SG, IG, OCC, RISE])('%s', async (method) => {
    const model = await goldenModel(g, 'seq_s0');
    const x = tf.concat([goldenImage(g, 'img0'), goldenImage(g, 'img1')]);
    const small = { numSamples: 8, steps: 8, window: 16, stride: 16 };
    const seen: Array<{ done: number; total: number }> = [];
    const before = tf.memory().numTensors;
    const r = await explain(createAdapter(model), x, { method, batchSize: method === SAL ? 1 : 3, ...small, onProgress: (p) => seen.push({ ...p }), runtime: rt });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.map.length).toBe(2 * 48 * 64);
    expect(Math.max(...r.map)).toBeCloseTo(1, 5);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)!.done).toBe(seen.at(-1)!.total);
    for (let i = 1; i < seen.length; i++) expect(seen[i].done).toBeGreaterThan(seen[i - 1].done);
    // batch size does not change the result
    const r2 = await explain(createAdapter(model), x, { method, batchSize: 16, ...small, runtime: rt });
    expect(relErr(r2.lowres, r.lowres)).toBeLessThan(1e-5);
    // abort after the first batch
    const ac = new AbortController();
    await expect(explain(model, x, { method, batchSize: 1, ...small, signal: ac.signal, onProgress: () => ac.abort(), runtime: rt })).rejects.toBeInstanceOf(AbortError);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
