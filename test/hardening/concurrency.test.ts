// Concurrency: interleaved async calls give the sequential results; independent runtimes do not
// share memory; guided backprop's process-global gradient override always restores the original
// Relu/Relu6 gradients, nested or throwing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { computeCam, computeCamSync, createRuntime, getRuntime, init, MemoryLimitError, type CamResult } from '../../src/index.js';
import { explain, guidedDepth, withGuidedRelu, type ExplainResult } from '../../src/capture/index.js';
import { rand } from '../helpers/flavors.js';
import { randomInput, sequentialModel, useBackend } from '../helpers/tfmodels.js';

const arrays = (n: number, h: number, w: number, c: number, seed: number) => {
  const shape = [n, h, w, c];
  return { activations: { data: rand(n * h * w * c, seed, 0, 2), shape }, gradients: { data: rand(n * h * w * c, seed + 1), shape } };
};

/** The parts of a result that must not depend on what else ran meanwhile. */
const pick = (r: CamResult | ExplainResult) => ({ map: Array.from(r.map), lowres: Array.from(r.lowres), weights: r.weights && Array.from(r.weights) });

let m: tf.LayersModel;
let x: tf.Tensor4D;
beforeAll(async () => {
  await useBackend('cpu');
  await init();
  m = sequentialModel();
  x = randomInput(2, 21);
});
afterAll(() => {
  tf.dispose(x);
  m.dispose();
});

describe('interleaved async calls', () => {
  it('a Score-CAM in flight while Grad-CAMs, guided backprop and computeCam calls run: results equal the sequential ones', async () => {
    const gradOpts = [
      { method: 'GradCAM', layer: 's_conv2', target: 1 },
      { method: 'GradCAMPlusPlus', layer: 's_conv3', target: 'top1' as const },
      { method: 'LayerCAM', layer: 's_conv1', target: [2, 0] },
      { method: 'EigenGradCAM', layer: 's_conv2', target: 3 },
    ];
    const scoreOpts = { method: 'ScoreCAM', layer: 's_conv2', target: 2, batchSize: 1 };
    const raw = [arrays(2, 7, 9, 6, 1), arrays(1, 3, 3, 33, 5), arrays(3, 14, 14, 8, 9)];
    const rawMethods = ['HiResCAM', 'XGradCAM', 'GradCAMElementWise'];

    // sequential references
    const before = tf.memory().numTensors;
    const refScore = pick(await explain(m, x, scoreOpts));
    const refGrad: ReturnType<typeof pick>[] = [];
    for (const o of gradOpts) refGrad.push(pick(await explain(m, x, o)));
    const refGuided = Array.from((await explain(m, x, { method: 'GuidedBackprop', target: 1 })).guided!);
    const refRaw: ReturnType<typeof pick>[] = [];
    for (let i = 0; i < raw.length; i++) refRaw.push(pick(await computeCam(rawMethods[i], raw[i])));

    // interleaved: the other calls start once the Score-CAM has done its first masked batch
    const log: string[] = [];
    let go!: () => void;
    const started = new Promise<void>((r) => (go = r));
    const score = explain(m, x, { ...scoreOpts, onProgress: () => (log.push('score'), go()) }).then((r) => (log.push('score-done'), r));
    await started;
    const grads = gradOpts.map((o, i) => explain(m, x, o).then((r) => (log.push(`grad${i}`), r)));
    const guided = explain(m, x, { method: 'GuidedBackprop', target: 1 }).then((r) => (log.push('guided'), r));
    const rawRuns = raw.map((a, i) => computeCam(rawMethods[i], a).then((r) => (log.push(`raw${i}`), r)));
    const [s, g, gb, rr] = await Promise.all([score, Promise.all(grads), guided, Promise.all(rawRuns)]);

    // the calls really overlapped: some other call finished while the Score-CAM was in progress
    const first = log.indexOf('score'), done = log.indexOf('score-done');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(log.slice(first, done).some((e) => e !== 'score'), log.join(' ')).toBe(true);

    expect(pick(s)).toEqual(refScore);
    g.forEach((r, i) => expect(pick(r), gradOpts[i].method).toEqual(refGrad[i]));
    expect(Array.from(gb.guided!)).toEqual(refGuided);
    rr.forEach((r, i) => expect(pick(r), rawMethods[i]).toEqual(refRaw[i]));
    expect(tf.memory().numTensors).toBe(before);
    expect(guidedDepth()).toBe(0);
  });

  it('a failing call in the middle of concurrent ones does not disturb them', async () => {
    const a = arrays(2, 5, 5, 4, 40);
    const ref = pick(await computeCam('GradCAM', a));
    const bad = { ...a, gradients: { data: a.gradients.data.slice(0, 50), shape: [2, 5, 5, 2] } };
    const runs = await Promise.allSettled([computeCam('GradCAM', a), computeCam('GradCAM', bad), explain(m, x, { target: 99 }), computeCam('GradCAM', a)]);
    expect(runs.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(pick((runs[0] as PromiseFulfilledResult<CamResult>).value)).toEqual(ref);
    expect(pick((runs[3] as PromiseFulfilledResult<CamResult>).value)).toEqual(ref);
  });
});

describe('independent runtimes', () => {
  it('two createRuntime() runtimes (and the global one) keep separate memory and give the same results, interleaved', async () => {
    const [r1, r2] = await Promise.all([createRuntime('simd'), createRuntime('simd')]);
    const r3 = await createRuntime('scalar');
    expect(r1.arena).not.toBe(r2.arena);
    const small = arrays(1, 4, 4, 3, 60), big = arrays(4, 28, 28, 64, 61);
    const refSmall = pick(computeCamSync(r1, 'GradCAMPlusPlus', small));
    const refBig = pick(computeCamSync(r2, 'GradCAMPlusPlus', big));
    const b1 = r1.arena.byteLength, b2 = r2.arena.byteLength;
    expect(b2).toBeGreaterThan(b1); // r2 grew for the big call, r1 did not
    for (let i = 0; i < 5; i++) {
      // r2's big call between two uses of r1 must not touch r1's buffers, and the reverse
      const s = computeCamSync(r1, 'GradCAMPlusPlus', small);
      const b = computeCamSync(r2, 'GradCAMPlusPlus', big);
      expect(pick(s)).toEqual(refSmall);
      expect(pick(b)).toEqual(refBig);
      expect(pick(computeCamSync(r3, 'GradCAMPlusPlus', small)).map).toEqual(refSmall.map); // scalar wasm is bit-identical here
    }
    expect(r1.arena.byteLength).toBe(b1);
    const global = await getRuntime();
    expect(global.arena).not.toBe(r1.arena);
    // explain() on two runtimes at once
    const [e1, e2] = await Promise.all([explain(m, x, { runtime: r1, target: 0 }), explain(m, x, { runtime: r2, target: 0 })]);
    expect(pick(e1)).toEqual(pick(e2));
  });

  it('a memory limit on one runtime is not a limit on another', async () => {
    const tiny = await createRuntime('simd', 65536 * 2);
    const roomy = await createRuntime('simd');
    const big = arrays(2, 28, 28, 64, 70);
    expect(() => computeCamSync(tiny, 'GradCAM', big)).toThrow(MemoryLimitError);
    expect(computeCamSync(roomy, 'GradCAM', big).map.length).toBe(2 * 28 * 28);
    expect(() => computeCamSync(tiny, 'GradCAM', big)).toThrow(MemoryLimitError);
  });
});

describe('guided backprop gradient override', () => {
  let xv: tf.Tensor1D;
  beforeAll(() => {
    xv = tf.tensor1d([-2, -0.5, 0.5, 3, 7]);
  });
  // dy = −1 everywhere: the normal gradient passes it where x > 0 (Relu6: 0 < x < 6), guided gives 0.
  // (+ 0 turns −0 into 0: only the values matter)
  const reluGrad = () => tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.neg(tf.relu(t))))(xv).dataSync(), (v) => v + 0));
  const relu6Grad = () => tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.neg(tf.relu6(t))))(xv).dataSync(), (v) => v + 0));
  const NORMAL_RELU = [0, 0, -1, -1, -1];
  const NORMAL_RELU6 = [0, 0, -1, -1, 0];
  afterAll(() => xv.dispose());

  function expectOriginal(relu: tf.GradConfig | undefined, relu6: tf.GradConfig | undefined) {
    expect(guidedDepth()).toBe(0);
    expect(tf.getGradient('Relu')).toBe(relu);
    expect(tf.getGradient('Relu6')).toBe(relu6);
    expect(reluGrad()).toEqual(NORMAL_RELU);
    expect(relu6Grad()).toEqual(NORMAL_RELU6);
  }

  it('nested overrides: guided inside, the originals after (same config objects, same gradients)', () => {
    const relu = tf.getGradient('Relu'), relu6 = tf.getGradient('Relu6');
    expect(relu).toBeDefined();
    expectOriginal(relu, relu6);
    withGuidedRelu(() => {
      expect(reluGrad().map(Math.abs)).toEqual([0, 0, 0, 0, 0]);
      withGuidedRelu(() => {
        expect(guidedDepth()).toBe(2);
        expect(relu6Grad().map(Math.abs)).toEqual([0, 0, 0, 0, 0]);
      });
      expect(guidedDepth()).toBe(1);
      expect(reluGrad().map(Math.abs)).toEqual([0, 0, 0, 0, 0]); // still guided after the inner exit
    });
    expectOriginal(relu, relu6);
  });

  it('restored when the inner call throws, when the outer throws after it, and after failing explain() calls', async () => {
    const relu = tf.getGradient('Relu'), relu6 = tf.getGradient('Relu6');
    expect(() =>
      withGuidedRelu(() =>
        withGuidedRelu(() => {
          throw new Error('inner');
        }),
      ),
    ).toThrow('inner');
    expectOriginal(relu, relu6);
    expect(() =>
      withGuidedRelu(() => {
        try {
          withGuidedRelu(() => {
            throw new Error('inner');
          });
        } catch {
          /* swallowed: the outer scope goes on guided */
        }
        expect(guidedDepth()).toBe(1);
        expect(reluGrad().map(Math.abs)).toEqual([0, 0, 0, 0, 0]);
        throw new Error('outer');
      }),
    ).toThrow('outer');
    expectOriginal(relu, relu6);
    const before = tf.memory().numTensors;
    await expect(explain(m, x, { method: 'GuidedBackprop', target: 9 })).rejects.toMatchObject({ code: 'E_TARGET' });
    await expect(explain(m, x, { method: 'GuidedGradCAM', layer: 'nope' })).rejects.toMatchObject({ code: 'E_UNKNOWN_NAME' });
    // a model that throws from inside the guided forward pass
    const boom = (t: tf.Tensor) => {
      tf.relu(t);
      throw new Error('model failed');
    };
    await expect(explain(boom, x, { method: 'GuidedBackprop', target: (o) => o })).rejects.toThrow('model failed');
    expect(tf.memory().numTensors).toBe(before);
    expectOriginal(relu, relu6);
  });

  it('a plain Grad-CAM right after guided backprop equals one before it', async () => {
    const a = pick(await explain(m, x, { method: 'GradCAM', layer: 's_conv1', target: 0 }));
    await explain(m, x, { method: 'GuidedGradCAM', layer: 's_conv1', target: 0 });
    expect(pick(await explain(m, x, { method: 'GradCAM', layer: 's_conv1', target: 0 }))).toEqual(a);
  });
});
