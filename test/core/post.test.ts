// Post-processing options and invariants, map fusion, and method relations checked on golden data.
import { describe, expect, it } from 'vitest';
import { allRuntimes, absErr, rand, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';
import { loadGolden } from '../golden/load.js';
import { f32 } from '../../src/conformance/golden.js';
import { computeCamSync, type CamArrays } from '../../src/compute.js';
import { fuseMaps, postBuffers, postProcess, resolvePost, type PostOptions } from '../../src/core/post.js';
import { METHOD_NAMES, camMethods, methodName } from '../../src/methods/registry.js';
import { NameError } from '../../src/errors.js';
import type { Runtime } from '../../src/runtime/init.js';

const g = loadGolden();
const caseById = (id: string) => g.cases.find((c) => c.id === id)!;
const golden = (id: string): CamArrays => {
  const c = caseById(id);
  return {
    activations: { data: f32(c.activations)!, shape: c.activations.shape },
    gradients: { data: f32(c.gradients!)!, shape: c.gradients!.shape },
    inputSize: [48, 64],
  };
};

function post(rt: Runtime, src: Float32Array, n: number, h: number, w: number, opts: PostOptions): Float32Array {
  const p = resolvePost(h, w, opts);
  const { f: [s, work, out, tmp] } = rt.arena.take([src.length, ...postBuffers(n, h, w, p)]);
  s.set(src);
  postProcess(rt, s, work, out, tmp, n, h, w, p);
  return Float32Array.from(out);
}

describe('post-processing', async () => {
  const rts = await allRuntimes();

  for (const [flavor, rt] of Object.entries(rts)) {
    it(`${flavor}: a constant map stays constant, an all-zero map stays zero, never NaN`, () => {
      for (const opts of [{}, { output: 'raw' }, { output: 'signed' }, { normalisation: 'max' }, { resize: 'nearest' }, { resize: 'bilinear-align-corners' }, { relu: false }] as PostOptions[]) {
        const o = { ...opts, outputSize: [13, 17] as [number, number] };
        for (const v of [0, 0.7, -0.3]) {
          const out = post(rt, new Float32Array(2 * 5 * 6).fill(v), 2, 5, 6, o);
          const where = `${JSON.stringify(opts)} value ${v}`;
          expect(out.length, where).toBe(2 * 13 * 17);
          expect(out.every((x) => x === out[0]), where).toBe(true);
          expect(Number.isNaN(out[0]), where).toBe(false);
          if (v === 0) expect(out[0], where).toBe(0);
        }
      }
      // Every method on all-zero gradients and activations: an all-zero map, no NaN.
      const z = { data: new Float32Array(1 * 4 * 5 * 3), shape: [1, 4, 5, 3] };
      for (const m of Object.keys(camMethods)) {
        const x: CamArrays = { activations: z, gradients: z, classifierWeights: { data: new Float32Array(6), shape: [3, 2] }, classIndex: 1, scores: [0, 0, 0], originalScore: 1 };
        const r = computeCamSync(rt, m, x, { outputSize: [8, 9] });
        expect(r.map.every((v) => v === 0), m).toBe(true);
        expect(r.lowres.every((v) => v === 0), m).toBe(true);
      }
    });

    it(`${flavor}: options on a golden map (raw, signed, max, none, nearest, align-corners)`, () => {
      const id = 'res_s1/img0/add/c3';
      const ref = caseById(id).methods.GradCAM;
      const base = computeCamSync(rt, 'GradCAM', golden(id));
      expect(absErr(base.map, ref.grayscale_cam!.values)).toBeLessThanOrEqual(tol.golden_grayscale_abs);
      // raw = ReLU → resize: the reference's upsampled map (normalised before the resize) × its scale.
      const raw = computeCamSync(rt, 'GradCAM', golden(id), { output: 'raw' });
      expect(ref.cam_lowres_relu_min).toBe(0);
      const rawMax = Math.max(...raw.map);
      expect(Math.abs(rawMax - (ref.upsampled_max as number) * ((ref.cam_lowres_relu_max as number) + 1e-7)) / rawMax).toBeLessThanOrEqual(1e-5);
      expect(Math.min(...raw.map)).toBe(0);
      // signed keeps negative values (the add layer is pre-ReLU) and scales by max |·|.
      const signed = computeCamSync(rt, 'GradCAM', golden(id), { output: 'signed' });
      const absMax = Math.max(...signed.map.map(Math.abs));
      expect(absMax).toBeCloseTo(1, 6);
      expect(Math.min(...signed.map)).toBeLessThan(0);
      // max: x/(max+eps) after ReLU → [0, 1), same shape as minmax when the min is 0.
      const mx = computeCamSync(rt, 'GradCAM', golden(id), { normalisation: 'max' });
      expect(absErr(mx.map, base.map)).toBeLessThanOrEqual(1e-6);
      // resize none: the normalised low-res map (golden cam_lowres_scaled, normalised twice).
      const none = computeCamSync(rt, 'GradCAM', golden(id), { resize: 'none' });
      expect([none.height, none.width]).toEqual([11, 15]);
      expect(absErr(none.map, (ref.cam_lowres_scaled as { values: number[] }).values)).toBeLessThanOrEqual(tol.golden_grayscale_abs);
      // nearest only copies low-res values; align-corners keeps the four corners exactly.
      const near = computeCamSync(rt, 'GradCAM', golden(id), { resize: 'nearest' });
      const vals = new Set(none.map);
      expect(near.map.every((v) => vals.has(v))).toBe(true);
      const ac = computeCamSync(rt, 'GradCAM', golden(id), { resize: 'bilinear-align-corners', normalisation: 'none' });
      const noneRaw = computeCamSync(rt, 'GradCAM', golden(id), { resize: 'none', normalisation: 'none' });
      for (const [y, x, Y, X] of [[0, 0, 0, 0], [10, 14, 47, 63], [0, 14, 0, 63], [10, 0, 47, 0]]) {
        expect(ac.map[Y * 64 + X]).toBeCloseTo(noneRaw.map[y * 15 + x], 6);
      }
      // align-corners differs from the reference (README: by up to 0.45).
      const acn = computeCamSync(rt, 'GradCAM', golden(id), { resize: 'bilinear-align-corners' });
      expect(absErr(acn.map, ref.grayscale_cam!.values)).toBeGreaterThan(1e-2);
      // Without ReLU the map differs from the reference.
      const noRelu = computeCamSync(rt, 'GradCAM', golden(id), { relu: false });
      expect(absErr(noRelu.map, ref.grayscale_cam!.values)).toBeGreaterThan(1e-2);
    });

    it(`${flavor}: fuseMaps 'mean' (pytorch-grad-cam) and 'max-tanh' (torchcam)`, () => {
      const a = rand(2 * 12, 3, -0.2, 1), b = rand(2 * 12, 4, 0, 1);
      const mean = fuseMaps([a, b], 'mean', { n: 2, runtime: rt });
      for (let i = 0; i < 2; i++) {
        const m = Array.from({ length: 12 }, (_, j) => (Math.max(a[i * 12 + j], 0) + Math.max(b[i * 12 + j], 0)) / 2);
        const lo = Math.min(...m), hi = Math.max(...m) - lo;
        const want = m.map((v) => (v - lo) / (hi + 1e-7));
        expect(absErr(mean.subarray(i * 12, (i + 1) * 12), want)).toBeLessThanOrEqual(1e-6);
      }
      const mt = fuseMaps([a, b], 'max-tanh', { runtime: rt });
      expect(absErr(mt, Array.from(a, (v, j) => Math.max(Math.tanh(2 * v), Math.tanh(2 * b[j]))))).toBeLessThanOrEqual(1e-6);
      expect(() => fuseMaps([a, b.subarray(1)], 'mean', { runtime: rt })).toThrow(/one size/);
      expect(() => fuseMaps([a], 'median' as 'mean', { runtime: rt })).toThrow(/Unknown fusion mode/);
    });
  }
});

describe('method relations on golden data', async () => {
  const rts = await allRuntimes();
  const rt = rts.simd;

  it('CAM from the dense kernel = GradCAM·hw where the layer feeds GAP (seq_s0 conv3, res_s1 block_out)', () => {
    for (const c of g.cases.filter((c) => c.target_layer === 'conv3' || c.target_layer === 'block_out')) {
      const W = (g.models![c.model as string] as { weights: { name: string; shape: number[]; values: number[] }[] }).weights.find((w) => w.name === 'dense/kernel')!;
      const x = { ...golden(c.id), classifierWeights: { data: Float32Array.from(W.values), shape: W.shape }, classIndex: c.target_class! };
      const camR = computeCamSync(rt, 'cam', x);
      const grad = computeCamSync(rt, 'GradCAM', golden(c.id));
      const hw = c.activations.shape[1] * c.activations.shape[2];
      expect(relErr(camR.weights!, grad.weights!.map((v) => v * hw)), c.id).toBeLessThanOrEqual(1e-5);
      expect(absErr(camR.map, c.methods.GradCAM.grayscale_cam!.values), c.id).toBeLessThanOrEqual(tol.golden_grayscale_abs);
    }
  });

  it("ScoreCAM 'probability' uses the scores as weights; AblationCAM divides by the signed score", () => {
    const x = golden('seq_s0/img0/conv3/c0');
    const p = rand(16, 2, 0, 1);
    const r = computeCamSync(rt, 'ScoreCAM', { ...x, scores: p }, { scoreWeights: 'probability' });
    expect(Array.from(r.weights!)).toEqual(Array.from(p));
    const abl = rand(16, 3, -1, 1);
    const pos = computeCamSync(rt, 'AblationCAM', { ...x, scores: abl, originalScore: 2 });
    expect(relErr(pos.weights!, Array.from(abl, (s) => (2 - s) / 2))).toBeLessThanOrEqual(1e-6);
    const neg = computeCamSync(rt, 'AblationCAM', { ...x, scores: abl.map((s) => -s), originalScore: -2 });
    expect(relErr(neg.weights!, pos.weights!)).toBeLessThanOrEqual(1e-6);
  });

  it('method names resolve case-insensitively, with suggestions for typos', () => {
    for (const n of METHOD_NAMES) expect(methodName(n.toUpperCase())).toBe(n);
    expect(methodName('grad-cam++')).toBe('GradCAMPlusPlus');
    expect(methodName('layer_cam')).toBe('LayerCAM');
    expect(() => methodName('EigenCAMM')).toThrow(/Did you mean 'EigenCAM'/);
    expect(() => computeCamSync(rt, 'GuidedBackprop', golden('seq_s0/img0/conv3/c0'))).toThrow(NameError);
  });
});
