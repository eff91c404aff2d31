// Score functions through explain() and the perturbation methods, on the golden models (v1
// classifiers, the v2 segmentation net): a helper equal to a class index gives the class path's
// numbers; per-sample helpers follow batch slices and perturbed copies; choices read from the output
// are fixed on the clean input; the text forms parse to the same targets.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createAdapter } from '../../src/capture/adapter.js';
import { explain } from '../../src/capture/explain.js';
import { ablationCam, scoreCam, smoothGradCampp } from '../../src/capture/perturbation.js';
import {
  classTarget, parseTargetSpec, segmentationTarget, softmaxTarget, TARGET_SPEC_KINDS, type TargetFn,
} from '../../src/capture/index.js';
import { CamkitError } from '../../src/errors.js';
import { METHODS } from '../../src/methods/registry.js';
import { createRuntime, type Runtime } from '../../src/runtime/init.js';
import { GOLDEN_V2_PATH, goldenImage, goldenModel, loadGolden } from '../helpers/golden.js';
import { BACKENDS, useBackend } from '../helpers/tfmodels.js';

const g1 = loadGolden();
const g2 = loadGolden(GOLDEN_V2_PATH);
const byName = (via: string) => METHODS.find((m) => m.explain.via === via)!;
const MASKS = byName('masks').name;
const LAYER = METHODS.find((m) => m.explain.via === 'layer' && m.explain.capture === 'gradients')!.name;

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime('simd');
});

async function leakFree<T>(f: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const r = await f();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

for (const backend of BACKENDS) {
  describe(`score functions in explain and the perturbation methods (${backend})`, () => {
    beforeAll(() => useBackend(backend));

    it('classTarget(c) gives the class path\'s scores and maps (Score-CAM, Ablation-CAM, SmoothGrad-CAM++)', async () => {
      const c = g1.cases.find((k) => k.id === 'res_s1/img1/block_out/c0')!;
      const ad = createAdapter(await goldenModel(g1, c.model));
      const x = goldenImage(g1, c.image);
      const fn = classTarget(c.target_class);
      for (const run of [scoreCam, ablationCam, smoothGradCampp]) {
        const opts = { batchSize: 8, runtime: rt, numSamples: 2 };
        const a = await leakFree(() => run(ad, x, c.target_layer, { ...opts, classIndex: c.target_class }));
        const b = await leakFree(() => run(ad, x, c.target_layer, { ...opts, target: fn }));
        expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
        expect(Array.from(b.map)).toEqual(Array.from(a.map));
        expect(Array.from(b.originalScore)).toEqual(Array.from(a.originalScore));
        expect(b.classIndex[0]).toBe(c.target_class);
      }
      x.dispose();
    });

    it('Score-CAM on the segmentation net: the arg-max mask is fixed on the clean input (= the stored mask)', async () => {
      const c = g2.cases.find((k) => k.id === 'seg_s3/img1/block_out/c1')!;
      const t = c.target as { category: number; mask: { values: number[]; shape: number[] } };
      const ad = createAdapter(await goldenModel(g2, c.model));
      const x = goldenImage(g2, c.image);
      const free = await leakFree(() => scoreCam(ad, x, c.target_layer, { target: segmentationTarget(t.category), runtime: rt }));
      const given = await leakFree(() => scoreCam(ad, x, c.target_layer, { target: segmentationTarget(t.category, { data: t.mask.values, shape: t.mask.shape }), runtime: rt }));
      expect(Array.from(free.scores)).toEqual(Array.from(given.scores));
      expect(free.originalScore[0]).toBeCloseTo((c.target as { value: number }).value, 3);
      expect(free.classIndex[0]).toBe(t.category);
      // Through explain(), by method name: the same map.
      const r = await leakFree(() => explain(ad, x, { method: MASKS, layer: c.target_layer, target: segmentationTarget(t.category), runtime: rt }));
      expect(Array.from(r.map)).toEqual(Array.from(free.map));
      expect(Array.from(r.classIndex)).toEqual([t.category]);
      x.dispose();
    });

    it('per-sample helpers follow explain\'s batch slices and name their classes', async () => {
      const c = g1.cases[0];
      const ad = createAdapter(await goldenModel(g1, c.model));
      const x = tf.concat(['img0', 'img1', 'img2'].map((i) => goldenImage(g1, i)));
      const fn = softmaxTarget([0, 1, 2]);
      const whole = await leakFree(() => explain(ad, x, { method: LAYER, target: fn, runtime: rt }));
      const sliced = await leakFree(() => explain(ad, x, { method: LAYER, target: fn, batchSize: 1, runtime: rt }));
      expect(Array.from(sliced.map)).toEqual(Array.from(whole.map));
      expect(Array.from(sliced.score)).toEqual(Array.from(whole.score));
      expect(whole.targets).toEqual([[0], [1], [2]]);
      // Each image's map is its own class's: image 1 alone with class 1.
      const x1 = tf.slice(x, [1], [1]);
      const one = await leakFree(() => explain(ad, x1, { method: LAYER, target: softmaxTarget(1), runtime: rt }));
      expect(Array.from(one.map)).toEqual(Array.from(whole.map.subarray(48 * 64, 2 * 48 * 64)));
      // Perturbation methods: the same per-sample classes, image by image.
      const p = await leakFree(() => explain(ad, x, { method: MASKS, target: classTarget([0, 1, 2]), runtime: rt, batchSize: 16 }));
      const q = await leakFree(() => explain(ad, x, { method: MASKS, target: [0, 1, 2], runtime: rt, batchSize: 16 }));
      expect(Array.from(p.map)).toEqual(Array.from(q.map));
      tf.dispose([x, x1]);
    });

    it('a score function that does not give one score per row: E_TARGET, nothing leaked', async () => {
      const c = g1.cases[0];
      const ad = createAdapter(await goldenModel(g1, c.model));
      const x = goldenImage(g1, c.image);
      const bad: TargetFn = (o) => tf.sum(o);
      const before = tf.memory().numTensors;
      const err = await scoreCam(ad, tf.concat([x, x]), c.target_layer, { target: bad, runtime: rt }).catch((e) => e);
      expect(err).toBeInstanceOf(CamkitError);
      expect((err as CamkitError).code).toBe('E_TARGET');
      // tf.concat above made one tensor: the only one left.
      expect(tf.memory().numTensors - before).toBe(1);
      const thrower: TargetFn = () => {
        throw new Error('boom');
      };
      for (const method of [LAYER, MASKS]) {
        const n0 = tf.memory().numTensors;
        await expect(explain(ad, x, { method, target: thrower, runtime: rt })).rejects.toThrow(/boom/);
        expect(tf.memory().numTensors).toBe(n0);
      }
      x.dispose();
    });
  });
}

describe('parseTargetSpec', () => {
  const names = ['square', 'disc', 'hbar', 'ring', 'cross', 'a:b'];
  const info = (t: unknown) => (t as TargetFn).info?.name;

  it('reads every form', () => {
    expect(parseTargetSpec(undefined)).toBe('top1');
    expect(parseTargetSpec('')).toBe('top1');
    expect(parseTargetSpec('TOP1')).toBe('top1');
    expect(parseTargetSpec('3')).toBe(3);
    expect(parseTargetSpec('Ring', names)).toBe(3);
    expect(parseTargetSpec('a:b', names)).toBe(5);
    expect(parseTargetSpec('class:disc', names)).toBe(1);
    expect(info(parseTargetSpec('softmax:3'))).toBe('softmaxTarget');
    expect(info(parseTargetSpec('Softmax : top1'))).toBe('softmaxTarget');
    expect(info(parseTargetSpec('rest:cross', names))).toBe('restTarget');
    expect(info(parseTargetSpec('finer:0'))).toBe('finerTarget');
    expect(info(parseTargetSpec('raw:1,2'))).toBe('rawScoresTarget');
    expect(info(parseTargetSpec('raw'))).toBe('rawScoresTarget');
    expect(info(parseTargetSpec('binary:1'))).toBe('binaryTarget');
    expect(info(parseTargetSpec('binary:0@4'))).toBe('binaryTarget');
    expect(info(parseTargetSpec('seg:2'))).toBe('segmentationTarget');
    expect(info(parseTargetSpec('peak:2'))).toBe('heatmapTarget');
    expect(parseTargetSpec('rank:2')).toEqual({ rank: 2 });
    expect(parseTargetSpec('topk:3')).toEqual({ topK: 3 });
    expect([...TARGET_SPEC_KINDS].sort()).toEqual(['binary', 'class', 'finer', 'peak', 'rank', 'raw', 'rest', 'seg', 'softmax', 'topk']);
  });

  it('the parsed helpers compute what they name', () => {
    const z = tf.tensor2d([[1, 2, 3, 0.5, -1]]);
    const v = (spec: string) => tf.tidy(() => (parseTargetSpec(spec, names) as TargetFn)(z).dataSync()[0]);
    expect(v('raw:0,2')).toBe(4);
    expect(v('binary:0@1')).toBe(-2);
    const p = Math.exp(3) / [1, 2, 3, 0.5, -1].reduce((a, x) => a + Math.exp(x), 0);
    expect(v('softmax:hbar')).toBeCloseTo(p, 6);
    z.dispose();
  });

  it('refuses malformed specs with typed errors', () => {
    const code = (spec: string, classes?: string[]) => {
      try {
        parseTargetSpec(spec, classes);
      } catch (e) {
        return (e as CamkitError).code;
      }
      return 'none';
    };
    expect(code('7', names)).toBe('E_TARGET');
    expect(code('disk', names)).toBe('E_UNKNOWN_NAME');
    expect(code('disc')).toBe('E_OPTION');
    expect(code('-1')).toBe('E_OPTION');
    expect(code('softmx:1')).toBe('E_UNKNOWN_NAME');
    expect(code('binary:2')).toBe('E_OPTION');
    expect(code('binary:1@2@3')).toBe('E_OPTION');
    expect(code('rank:0')).toBe('E_OPTION');
    expect(code('topk:x')).toBe('E_OPTION');
    expect(code('raw:1,,2')).toBe('E_OPTION');
    expect(code('seg:top1')).toBe('E_OPTION');
    // Must throw (a try/catch here would pass when nothing is thrown).
    expect(() => parseTargetSpec('softmx:1')).toThrow(/Did you mean 'softmax'/);
  });
});
