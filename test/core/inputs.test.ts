// Input validation (each error code, raised before anything is allocated) and tensors in = arrays in,
// without leaking tensors, including calls that throw.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { rand, relErr } from '../helpers/flavors.js';
import { computeCam, computeCamSync, camSample, type CamArrays } from '../../src/compute.js';
import { createRuntime } from '../../src/runtime/init.js';
import { type CamkitError, NameError } from '../../src/errors.js';
import { guidedGradCam, guidedGradCamSync } from '../../src/methods/guided.js';

const shape = [2, 5, 7, 6];
const size = 2 * 5 * 7 * 6;
const A = rand(size, 11, 0, 2);
const G = rand(size, 12);
const arr = (data: Float32Array, s = shape) => ({ data, shape: s });

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as CamkitError).code;
  }
  return undefined;
}
async function acode(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    return (e as CamkitError).code;
  }
  return undefined;
}

describe('computeCamSync input validation', async () => {
  // A fresh JS runtime has no scratch buffer yet: byteLength 0 proves nothing was allocated.
  const fresh = () => createRuntime('js');

  const cases: [string, string, string, CamArrays, object?][] = [
    ['rank 2', 'E_SHAPE', 'GradCAM', { activations: arr(A.subarray(0, 42), [6, 7]), gradients: arr(G.subarray(0, 42), [6, 7]) }],
    ['gradient shape mismatch', 'E_SHAPE', 'GradCAM', { activations: arr(A), gradients: arr(G, [2, 7, 5, 6]) }],
    ['data length ≠ shape', 'E_SHAPE', 'GradCAM', { activations: arr(A.subarray(1)), gradients: arr(G) }],
    ['missing gradients', 'E_MISSING', 'HiResCAM', { activations: arr(A) }],
    ['empty', 'E_EMPTY', 'EigenCAM', { activations: arr(new Float32Array(0), [1, 0, 7, 6]) }],
    ['float64 data', 'E_DTYPE', 'EigenCAM', { activations: { data: new Float64Array(size) as unknown as Float32Array, shape } }],
    ['NaN', 'E_NONFINITE', 'LayerCAM', { activations: arr(A), gradients: arr(Object.assign(Float32Array.from(G), { 17: NaN })) }],
    ['Infinity', 'E_NONFINITE', 'EigenCAM', { activations: arr(Object.assign(Float32Array.from(A), { 3: -Infinity })) }],
    ['unknown method', 'E_UNKNOWN_NAME', 'GradCAMM', { activations: arr(A), gradients: arr(G) }],
    ['unknown resize', 'E_UNKNOWN_NAME', 'GradCAM', { activations: arr(A), gradients: arr(G) }, { resize: 'bicubic' }],
    ['bad outputSize', 'E_OPTION', 'GradCAM', { activations: arr(A), gradients: arr(G) }, { outputSize: [0, 3] }],
    ['CAM class out of range', 'E_TARGET', 'CAM', { activations: arr(A), classifierWeights: arr(rand(6 * 4, 3), [6, 4]), classIndex: 4 }],
    ['CAM weights of the wrong channel count', 'E_SHAPE', 'CAM', { activations: arr(A), classifierWeights: arr(rand(5 * 4, 3), [5, 4]), classIndex: 1 }],
    ['ScoreCAM scores too short', 'E_SHAPE', 'ScoreCAM', { activations: arr(A), scores: new Float32Array(6) }],
    ['AblationCAM zero original score', 'E_VALUE', 'AblationCAM', { activations: arr(A), scores: new Float32Array(12), originalScore: [1, 0] }],
  ];
  for (const [what, want, method, x, opts] of cases) {
    it(`${what} → ${want}, nothing allocated`, async () => {
      const rt = await fresh();
      expect(code(() => computeCamSync(rt, method, x, opts))).toBe(want);
      expect(rt.arena.byteLength).toBe(0);
    });
  }

  it('the shape mismatch message shows both shapes; NameError suggests', async () => {
    const rt = await fresh();
    expect(() => computeCamSync(rt, 'GradCAM', { activations: arr(A), gradients: arr(G, [2, 7, 5, 6]) })).toThrow(/\[2, 7, 5, 6\].*\[2, 5, 7, 6\]/);
    let err: unknown;
    try {
      computeCamSync(rt, 'gradcam+', { activations: arr(A), gradients: arr(G) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NameError);
    expect((err as NameError).suggestions).toContain('GradCAM');
  });

  it('over the memory maximum → E_MEMORY before allocation, on wasm and js', async () => {
    for (const flavor of ['js', 'scalar'] as const) {
      const rt = await createRuntime(flavor, 1 << 20);
      const before = rt.arena.byteLength;
      const big = { data: new Float32Array(1 * 64 * 64 * 64), shape: [1, 64, 64, 64] };
      expect(code(() => computeCamSync(rt, 'GradCAM', { activations: big, gradients: big }))).toBe('E_MEMORY');
      expect(rt.arena.byteLength).toBe(before);
    }
  });

  it("nonFinite: 'zero' equals zeroed inputs and leaves the caller's arrays alone", async () => {
    const rt = await createRuntime('simd');
    const bad = Float32Array.from(G);
    bad[5] = NaN;
    bad[40] = Infinity;
    const r = computeCamSync(rt, 'GradCAMPlusPlus', { activations: arr(A), gradients: arr(bad) }, { nonFinite: 'zero' });
    expect(Number.isNaN(bad[5])).toBe(true);
    const zeroed = Float32Array.from(bad, (v) => (Number.isFinite(v) ? v : 0));
    const ref = computeCamSync(rt, 'GradCAMPlusPlus', { activations: arr(A), gradients: arr(zeroed) });
    expect(Array.from(r.map)).toEqual(Array.from(ref.map));
    expect(Array.from(r.weights!)).toEqual(Array.from(ref.weights!));
  });

  it('rank 3 is one image; a batch equals its images computed one by one', async () => {
    const rt = await createRuntime('simd');
    const one = size / 2;
    for (const m of ['GradCAM', 'XGradCAM', 'LayerCAM', 'EigenGradCAM']) {
      const batch = computeCamSync(rt, m, { activations: arr(A), gradients: arr(G) }, { outputSize: [9, 13] });
      expect(batch.n).toBe(2);
      expect(batch.map.length).toBe(2 * 9 * 13);
      for (let i = 0; i < 2; i++) {
        const s = [5, 7, 6];
        const single = computeCamSync(rt, m, { activations: arr(A.slice(i * one, (i + 1) * one), s), gradients: arr(G.slice(i * one, (i + 1) * one), s) }, { outputSize: [9, 13] });
        const part = camSample(batch, i);
        expect(Array.from(part.map)).toEqual(Array.from(single.map));
        expect(Array.from(part.lowres)).toEqual(Array.from(single.lowres));
        if (single.weights) expect(Array.from(part.weights!)).toEqual(Array.from(single.weights));
      }
    }
  });
});

describe('tensors in (duck-typed, cpu backend)', () => {
  it('give the same result as arrays, for every method, with no tensor leaked', async () => {
    await tf.setBackend('cpu');
    const a = tf.tensor4d(A, shape as [number, number, number, number]);
    const g = tf.tensor4d(G, shape as [number, number, number, number]);
    const W = rand(6 * 3, 5);
    const w = tf.tensor2d(W, [6, 3]);
    const scores = rand(12, 9);
    const before = tf.memory().numTensors;
    for (const m of ['GradCAM', 'HiResCAM', 'GradCAMElementWise', 'GradCAMPlusPlus', 'XGradCAM', 'LayerCAM', 'EigenCAM', 'EigenGradCAM', 'ScoreCAM', 'AblationCAM', 'CAM']) {
      const extra = { classIndex: [2, 0], scores, originalScore: [1.5, -2] };
      const fromT = await computeCam(m, { activations: a, gradients: g, classifierWeights: w, ...extra });
      const fromA = await computeCam(m, { activations: arr(A), gradients: arr(G), classifierWeights: arr(W, [6, 3]), ...extra });
      expect(Array.from(fromT.map), m).toEqual(Array.from(fromA.map));
      expect(relErr(fromT.lowres, fromA.lowres), m).toBe(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    // Calls that throw leak nothing either.
    const i32 = tf.zeros([1, 3, 3, 2], 'int32');
    const gone = tf.zeros([2, 5, 7, 6]);
    gone.dispose();
    const wrong = tf.zeros([1, 5, 7, 6]);
    const mid = tf.memory().numTensors;
    expect(await acode(() => computeCam('GradCAM', { activations: i32, gradients: i32 }))).toBe('E_DTYPE');
    expect(await acode(() => computeCam('GradCAM', { activations: a, gradients: gone }))).toBe('E_DISPOSED');
    expect(await acode(() => computeCam('GradCAM', { activations: a, gradients: wrong }))).toBe('E_SHAPE');
    expect(tf.memory().numTensors).toBe(mid);
    tf.dispose([a, g, w, i32, wrong]);
  });
});

describe('guided Grad-CAM inputs', () => {
  it('validates shapes, accepts tensors without leaks, and equals gb × map', async () => {
    const rt = await createRuntime('js');
    const gb = rand(2 * 4 * 5 * 3, 21), map = rand(2 * 4 * 5, 22, 0, 1);
    expect(code(() => guidedGradCamSync(rt, arr(gb, [2, 4, 5, 3]), map.subarray(1)))).toBe('E_SHAPE');
    expect(code(() => guidedGradCamSync(rt, arr(gb, [40, 3]), map))).toBe('E_SHAPE');
    expect(code(() => guidedGradCamSync(rt, arr(gb.subarray(0, 2 * 4 * 5 * 2), [2, 4, 5]), map))).toBe('E_SHAPE');
    expect(rt.arena.byteLength).toBe(0);
    // Grayscale (and any channel count): every channel times the map.
    for (const ch of [1, 2]) {
      const g1 = gb.subarray(0, 2 * 4 * 5 * ch);
      expect(Array.from(guidedGradCamSync(rt, arr(g1, [2, 4, 5, ch]), map))).toEqual(Array.from(g1, (v, i) => Math.fround(v * map[Math.floor(i / ch)])));
    }
    const fused = guidedGradCamSync(rt, arr(gb, [2, 4, 5, 3]), map);
    expect(relErr(fused, Array.from(gb, (v, i) => v * map[Math.floor(i / 3)]))).toBeLessThanOrEqual(1e-7);
    await tf.setBackend('cpu');
    const t = tf.tensor4d(gb, [2, 4, 5, 3]);
    const before = tf.memory().numTensors;
    expect(Array.from(await guidedGradCam(t, map))).toEqual(Array.from(fused));
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
    expect(await acode(() => guidedGradCam(t, map))).toBe('E_DISPOSED');
  });
});
