// Perturbation methods through real TF.js models (the golden file's, rebuilt from topology + weights).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createAdapter, type ModelAdapter } from '../../src/capture/adapter.js';
import {
  ablationCam, augSmooth, fasterScoreCam, isCam, scoreCam, smoothGradCampp, ssCam, type PerturbationResult,
} from '../../src/capture/perturbation.js';
import { AbortError, CamkitError } from '../../src/errors.js';
import { createRuntime, type Runtime } from '../../src/runtime/init.js';
import { absErr, relErr } from '../helpers/flavors.js';
import { goldenImage, goldenModel, loadGolden, type GoldenCase } from '../helpers/golden.js';
import tol from '../tolerances.json';

const g = loadGolden();
const byId = (id: string) => g.cases.find((c) => c.id === id)!;
// Both models, every target kind (post-ReLU conv, ResNet block, inner conv, pre-ReLU add), top-1 and others.
const CASES = ['seq_s0/img0/conv3/c0', 'seq_s0/img2/conv3/c3', 'res_s1/img1/block_out/c0', 'res_s1/img3/conv_c/c0', 'res_s1/img0/add/c3'].map(byId);

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime('simd');
  await tf.setBackend('cpu');
});

async function setup(c: GoldenCase): Promise<{ ad: ModelAdapter; x: tf.Tensor4D }> {
  const m = await goldenModel(g, c.model);
  return { ad: createAdapter(m), x: goldenImage(g, c.image) };
}

async function onBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  const prev = tf.getBackend();
  await tf.setBackend(backend);
  await tf.ready();
  try {
    return await fn();
  } finally {
    await tf.setBackend(prev);
  }
}

/** Mean of the map inside the object's box over the mean outside it. */
function contrast(map: Float32Array, o: { cy: number; cx: number; size: number }, H = 48, W = 64): number {
  let si = 0, ni = 0, so = 0, no = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = map[y * W + x];
      if (Math.abs(y - o.cy) <= o.size / 2 && Math.abs(x - o.cx) <= o.size / 2) (si += v), ni++;
      else (so += v), no++;
    }
  }
  return si / ni / (so / no + 1e-9);
}

describe.each(['cpu', 'wasm'])('golden Score-CAM and Ablation-CAM through TF.js (%s)', (backend) => {
  it.each(CASES.map((c) => [c.id, c] as const))('Score-CAM %s: scores and map', async (_id, c) => {
    await onBackend(backend, async () => {
      const { ad, x } = await setup(c);
      const before = tf.memory().numTensors;
      const r = await scoreCam(ad, x, c.target_layer, { classIndex: c.target_class, batchSize: 16, runtime: rt });
      expect(tf.memory().numTensors).toBe(before);
      const ref = c.methods.ScoreCAM;
      expect(relErr(r.scores, ref.extra!.scores as number[])).toBeLessThanOrEqual(tol.e2e_scores_rel);
      expect(relErr(r.weights!, ref.weights!)).toBeLessThanOrEqual(tol.golden_weights_rel);
      expect(absErr(r.map, ref.grayscale_cam.values)).toBeLessThanOrEqual(tol.e2e_map_abs);
      expect([r.height, r.width]).toEqual([48, 64]);
      x.dispose();
    });
  });

  it.each(CASES.map((c) => [c.id, c] as const))('Ablation-CAM %s: ablated scores and map', async (_id, c) => {
    const ref = c.methods.AblationCAM;
    const extra = ref.extra as { ablation_mode: string; ablated_scores: number[]; original_score: number; ablation_values: number[] };
    await onBackend(backend, async () => {
      const { ad, x } = await setup(c);
      const r = await ablationCam(ad, x, c.target_layer, { classIndex: c.target_class, runtime: rt });
      expect(r.originalScore[0]).toBeCloseTo(extra.original_score, 4);
      if (extra.ablation_mode === 'zero') {
        expect(r.ablationValue![0]).toBe(0);
        expect(relErr(r.scores, extra.ablated_scores)).toBeLessThanOrEqual(tol.e2e_scores_rel);
        expect(absErr(r.map, ref.grayscale_cam.values)).toBeLessThanOrEqual(tol.e2e_map_abs);
      } else {
        // Pre-ReLU target: one replacement, min − 1e7 (the reference's first batch row; stored to 7 digits), not cascading.
        expect(Math.abs(r.ablationValue![0] - extra.ablation_values[0])).toBeLessThanOrEqual(1e-6 * Math.abs(extra.ablation_values[0]));
        const mn = Math.min(...c.activations.values);
        expect(r.ablationValue![0]).toBe(Math.fround(Math.fround(mn) - 1e7));
      }
      x.dispose();
    });
  });
});

describe('any model kind', () => {
  it('a plain function model (seq_s0 written with tf ops, hooked at conv3) gives the reference scores and maps', async () => {
    const m = (g.models.seq_s0 as unknown as { weights: { name: string; shape: number[]; values: number[] }[] }).weights;
    const W = Object.fromEntries(m.map((w) => [w.name, tf.tensor(w.values, w.shape)]));
    const conv = (x: tf.Tensor4D, l: string) => tf.relu(tf.add(tf.conv2d(x, W[`${l}/kernel`] as tf.Tensor4D, 1, 'same'), W[`${l}/bias`])) as tf.Tensor4D;
    const pool = (x: tf.Tensor4D) => tf.maxPool(x, 2, 2, 'valid');
    const fn = (x: tf.Tensor, hook?: (n: string, t: tf.Tensor) => tf.Tensor) => {
      const h = hook ?? ((_n: string, t: tf.Tensor) => t);
      const a = h('conv3', conv(pool(conv(pool(conv(x as tf.Tensor4D, 'conv1')), 'conv2')), 'conv3')) as tf.Tensor4D;
      return tf.add(tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, W['dense/kernel'] as tf.Tensor2D), W['dense/bias']);
    };
    const ad = createAdapter(fn, { layerNames: ['conv3'] });
    for (const c of g.cases.filter((k) => k.model === 'seq_s0').slice(0, 3)) {
      const x = goldenImage(g, c.image);
      const s = await scoreCam(ad, x, 'conv3', { classIndex: c.target_class, batchSize: 7, runtime: rt });
      expect(relErr(s.scores, c.methods.ScoreCAM.extra!.scores as number[])).toBeLessThanOrEqual(tol.e2e_scores_rel);
      expect(absErr(s.map, c.methods.ScoreCAM.grayscale_cam.values)).toBeLessThanOrEqual(tol.e2e_map_abs);
      const a = await ablationCam(ad, x, 'conv3', { classIndex: c.target_class, runtime: rt });
      expect(relErr(a.scores, (c.methods.AblationCAM.extra as { ablated_scores: number[] }).ablated_scores)).toBeLessThanOrEqual(tol.e2e_scores_rel);
      expect(absErr(a.map, c.methods.AblationCAM.grayscale_cam.values)).toBeLessThanOrEqual(tol.e2e_map_abs);
      x.dispose();
    }
    tf.dispose(Object.values(W));
  });
});

describe('perturbation behaviour (cpu)', () => {
  const c = byId('res_s1/img1/block_out/c0');

  it('batch size does not change scores or maps', async () => {
    const { ad, x } = await setup(c);
    const runs = await Promise.all([1, 3, 16, 32].map((b) => scoreCam(ad, x, c.target_layer, { classIndex: 0, batchSize: b, runtime: rt })));
    const abl = await Promise.all([1, 5, 32].map((b) => ablationCam(ad, x, c.target_layer, { classIndex: 0, batchSize: b, runtime: rt })));
    for (const r of runs.slice(1)) {
      expect(relErr(r.scores, runs[0].scores)).toBeLessThanOrEqual(1e-6);
      expect(absErr(r.map, runs[0].map)).toBeLessThanOrEqual(1e-6);
    }
    for (const r of abl.slice(1)) expect(relErr(r.scores, abl[0].scores)).toBeLessThanOrEqual(1e-6);
    x.dispose();
  });

  it('reports progress per batch and stops on abort without leaking', async () => {
    const { ad, x } = await setup(c);
    const seen: { done: number; total: number }[] = [];
    await scoreCam(ad, x, c.target_layer, { batchSize: 5, runtime: rt, onProgress: (p) => seen.push({ ...p }) });
    expect(seen.map((p) => p.done)).toEqual([5, 10, 15, 16]);
    expect(seen.every((p) => p.total === 16)).toBe(true);

    for (const run of [
      (o: object) => scoreCam(ad, x, c.target_layer, o),
      (o: object) => ablationCam(ad, x, c.target_layer, o),
      (o: object) => ssCam(ad, x, c.target_layer, { ...o, numSamples: 3 }),
      (o: object) => smoothGradCampp(ad, x, c.target_layer, { ...o, numSamples: 6 }),
    ]) {
      const before = tf.memory().numTensors;
      const ctl = new AbortController();
      let calls = 0;
      const p = run({ batchSize: 2, runtime: rt, signal: ctl.signal, onProgress: () => ++calls === 2 && ctl.abort() });
      await expect(p).rejects.toBeInstanceOf(AbortError);
      await expect(p).rejects.toMatchObject({ code: 'E_ABORTED' });
      expect(calls).toBe(2);
      expect(tf.memory().numTensors).toBe(before);
    }
    // Already aborted: nothing runs.
    const ctl = new AbortController();
    ctl.abort();
    const before = tf.memory().numTensors;
    await expect(scoreCam(ad, x, c.target_layer, { signal: ctl.signal, runtime: rt })).rejects.toBeInstanceOf(AbortError);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('validates options and targets with typed errors, without leaking', async () => {
    const { ad, x } = await setup(c);
    const before = tf.memory().numTensors;
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(CamkitError);
        return (e as CamkitError).code;
      }
      return 'no error';
    };
    expect(await code(scoreCam(ad, x, c.target_layer, { batchSize: 0 }))).toBe('E_OPTION');
    expect(await code(scoreCam(ad, x, c.target_layer, { classIndex: 5, runtime: rt }))).toBe('E_TARGET');
    expect(await code(scoreCam(ad, x, c.target_layer, { target: { topK: 2 }, runtime: rt }))).toBe('E_TARGET');
    expect(await code(scoreCam(ad, x, c.target_layer, { classIndex: [0, 1], runtime: rt }))).toBe('E_TARGET');
    expect(await code(fasterScoreCam(ad, x, c.target_layer, { maxN: 0 }))).toBe('E_OPTION');
    expect(await code(ssCam(ad, x, c.target_layer, { std: -1 }))).toBe('E_OPTION');
    expect(await code(scoreCam(ad, x, 'nope', { runtime: rt }))).toBe('E_UNKNOWN_NAME');
    expect(await code(scoreCam(ad, tf.zeros([48, 64, 3]), c.target_layer))).toBe('E_SHAPE');
    expect(tf.memory().numTensors).toBe(before + 1); // the zeros tensor above
    x.dispose();
  });

  it('a batch of images = one call per image; "top1" picks each image\'s class', async () => {
    const { ad } = await setup(c);
    const xs = [goldenImage(g, 'img1'), goldenImage(g, 'img2')];
    const both = tf.concat(xs);
    const r = await scoreCam(ad, both, c.target_layer, { runtime: rt });
    expect(Array.from(r.classIndex)).toEqual([1, 2]); // both images are classified right (top-1 cases in the file)
    for (let i = 0; i < 2; i++) {
      const one = await scoreCam(ad, xs[i], c.target_layer, { runtime: rt });
      expect(one.classIndex[0]).toBe(r.classIndex[i]);
      expect(relErr(r.scores.subarray(i * 16, (i + 1) * 16), one.scores)).toBeLessThanOrEqual(1e-6);
      expect(absErr(r.map.subarray(i * 48 * 64, (i + 1) * 48 * 64), one.map)).toBeLessThanOrEqual(1e-6);
    }
    tf.dispose([...xs, both]);
  });

  it('paper weights: the class probability of each masked input', async () => {
    const { ad, x } = await setup(c);
    const r = await scoreCam(ad, x, c.target_layer, { classIndex: 1, scoreWeights: 'probability', runtime: rt });
    const logit = await scoreCam(ad, x, c.target_layer, { classIndex: 1, runtime: rt });
    expect(Array.from(r.weights!)).toEqual(Array.from(r.scores));
    expect(r.scores.every((p) => p >= 0 && p <= 1)).toBe(true);
    // Same masked inputs, so the probability ranks channels as the logit does only where the others don't move;
    // what must hold exactly is p = softmax over classes, checked on the clean input:
    const out = (await ad.predict(x).data()) as Float32Array;
    const z = Array.from(out).reduce((s, v) => s + Math.exp(v), 0);
    expect(r.originalScore[0]).toBeCloseTo(Math.exp(out[1]) / z, 6);
    expect(logit.originalScore[0]).toBeCloseTo(out[1], 5);
    x.dispose();
  });

  it('Faster Score-CAM keeps the maxN channels of largest spatial std; maxN ≥ C is Score-CAM', async () => {
    const { ad, x } = await setup(c);
    const full = await scoreCam(ad, x, c.target_layer, { classIndex: 0, runtime: rt });
    const all = await fasterScoreCam(ad, x, c.target_layer, { classIndex: 0, maxN: 99, runtime: rt });
    expect(relErr(all.weights!, full.weights!)).toBeLessThanOrEqual(1e-6);
    expect(absErr(all.map, full.map)).toBeLessThanOrEqual(1e-6);
    const few = await fasterScoreCam(ad, x, c.target_layer, { classIndex: 0, maxN: 4, runtime: rt });
    const used = Array.from(few.channelsUsed!);
    expect(used).toHaveLength(4);
    // The chosen channels have the largest std of the stored activations.
    const A = c.activations.values, C = 16, hw = A.length / C;
    const std = Array.from({ length: C }, (_, k) => {
      let s = 0, s2 = 0;
      for (let p = 0; p < hw; p++) (s += A[p * C + k]), (s2 += A[p * C + k] ** 2);
      return Math.sqrt(Math.max(s2 / hw - (s / hw) ** 2, 0));
    });
    const top = Array.from({ length: C }, (_, k) => k).sort((a, b) => std[b] - std[a]).slice(0, 4);
    expect(new Set(used)).toEqual(new Set(top));
    // Unused channels have weight 0; used ones carry the masked-input scores of the full run.
    for (let k = 0; k < C; k++) {
      if (used.includes(k)) expect(few.scores[k]).toBeCloseTo(full.scores[k], 4);
      else expect(few.weights![k]).toBe(0);
    }
    x.dispose();
  });

  it('SS-CAM without noise and IS-CAM with one step are Score-CAM with half-pixel masks', async () => {
    const { ad, x } = await setup(c);
    const ref = await scoreCam(ad, x, c.target_layer, { classIndex: 0, maskResize: 'half-pixel', runtime: rt });
    const ac = await scoreCam(ad, x, c.target_layer, { classIndex: 0, runtime: rt });
    expect(relErr(ref.scores, ac.scores)).toBeGreaterThan(1e-6); // the two mask conventions do differ
    const ss = await ssCam(ad, x, c.target_layer, { classIndex: 0, std: 0, numSamples: 2, runtime: rt });
    const is1 = await isCam(ad, x, c.target_layer, { classIndex: 0, numSamples: 1, runtime: rt });
    expect(relErr(ss.scores, ref.scores)).toBeLessThanOrEqual(1e-6);
    expect(relErr(is1.scores, ref.scores)).toBeLessThanOrEqual(1e-6);
    // Noise is seeded: same seed, same result; another seed, another result.
    const a = await ssCam(ad, x, c.target_layer, { classIndex: 0, numSamples: 2, seed: 7, runtime: rt });
    const b = await ssCam(ad, x, c.target_layer, { classIndex: 0, numSamples: 2, seed: 7, runtime: rt });
    const d = await ssCam(ad, x, c.target_layer, { classIndex: 0, numSamples: 2, seed: 8, runtime: rt });
    expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
    expect(relErr(d.scores, a.scores)).toBeGreaterThan(1e-4);
    x.dispose();
  });

  it('SmoothGrad-CAM++ without noise = torchcam\'s α formula on the stored activations and gradients', async () => {
    for (const id of ['seq_s0/img0/conv3/c0', 'res_s1/img1/conv_c/c1']) {
      const k = byId(id);
      const { ad, x } = await setup(k);
      const r = await smoothGradCampp(ad, x, k.target_layer, { classIndex: k.target_class, std: 0, numSamples: 3, runtime: rt });
      const A = k.activations.values, G = k.gradients.values, C = k.activations.shape[3], hw = A.length / C;
      const expected = Array.from({ length: C }, (_, c) => {
        let s = 0;
        for (let p = 0; p < hw; p++) s += A[p * C + c] * G[p * C + c] ** 3;
        let w = 0;
        for (let p = 0; p < hw; p++) {
          const g = G[p * C + c];
          w += ((g * g) / (2 * g * g + s + 1e-8)) * Math.max(g, 0);
        }
        return w;
      });
      expect(relErr(r.weights!, expected)).toBeLessThanOrEqual(1e-4);
      x.dispose();
    }
  });

  it('augSmooth flips each map back and averages the six augmentations', async () => {
    const x = goldenImage(g, 'img3');
    const seen: number[] = [];
    // A stand-in explainer whose map is the red channel: de-augmented, the mean is red · mean(0.9, 1, 1.1).
    const r = await augSmooth(x, async (xa) => {
      const red = tf.tidy(() => tf.slice(xa, [0, 0, 0, 0], [1, 48, 64, 1]));
      const map = Float32Array.from((await red.data()) as Float32Array);
      red.dispose();
      seen.push(map[0]);
      return { map, height: 48, width: 64 };
    });
    expect(seen).toHaveLength(6);
    const red = Float32Array.from(g.images.img3.pixels.values.filter((_, i) => i % 3 === 0));
    expect(absErr(r.map, red)).toBeLessThanOrEqual(1e-6);
    x.dispose();
  });

  it('every method gives a map that is hot on the object', async () => {
    for (const [model, layer, img, cls] of [['seq_s0', 'conv3', 'img0', 0], ['res_s1', 'block_out', 'img1', 1]] as const) {
      const ad = createAdapter(await goldenModel(g, model));
      const x = goldenImage(g, img);
      const obj = g.images[img].objects![0];
      const o = { classIndex: cls, runtime: rt };
      const results: [string, PerturbationResult | { map: Float32Array }][] = [
        ['FasterScoreCAM', await fasterScoreCam(ad, x, layer, { ...o, maxN: 6 })],
        ['SSCAM', await ssCam(ad, x, layer, { ...o, numSamples: 4 })],
        ['ISCAM', await isCam(ad, x, layer, { ...o, numSamples: 4 })],
        ['SmoothGradCAMpp', await smoothGradCampp(ad, x, layer, o)],
        ['augSmooth(AblationCAM)', await augSmooth(x, (xa) => ablationCam(ad, xa, layer, o))],
      ];
      for (const [name, r] of results) {
        expect(r.map.every((v) => v >= 0 && v <= 1), name).toBe(true);
        // The reference Grad-CAM and Score-CAM maps of these cases score 5–18 on this measure.
        expect(contrast(r.map, obj), `${model} ${name}`).toBeGreaterThan(2.5);
      }
      x.dispose();
    }
  });
});
