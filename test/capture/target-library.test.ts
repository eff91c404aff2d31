// The target library against pytorch-grad-cam's definitions: every target the golden v2 file stores
// (value and ∂T/∂z at the stored logits, FinerCAM's extra included), the segmentation mask and value
// from the stored seg_s3 outputs, and the helpers without a stored reference (heatmap peaks, boxes,
// embeddings) against their formulas written out here — on cpu and wasm, without leaking tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  binaryTarget, boxIou, boxTarget, classTarget, finerTarget, heatmapTarget, rawScoresTarget, resolveTargets, restTarget,
  segmentationMask, segmentationTarget, similarityTarget, softmaxTarget, targetForRows, type TargetFn,
} from '../../src/capture/index.js';
import { CamkitError } from '../../src/errors.js';
import { BACKENDS, useBackend } from '../helpers/tfmodels.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
import { V2_TARGETS } from '../../src/conformance/targets-e2e.js';
import { TARGET_TOLERANCES } from '../../src/conformance/tolerances.js';
import tol from '../tolerances.json';
import { relErr } from '../../src/core/compare.js';

const g = loadGolden(GOLDEN_V2_PATH);

/** Value (sample 0) and ∂T/∂output of a target at `out`. */
function valueGrad(fn: TargetFn, out: tf.Tensor): { value: number[]; grad: Float32Array } {
  return tf.tidy(() => {
    const value = Array.from(fn(out).dataSync());
    const grad = tf.grad((o: tf.Tensor) => tf.sum(fn(o)))(out).dataSync() as Float32Array;
    return { value, grad: Float32Array.from(grad) };
  });
}

/** Every call leaves the tensor count as it found it, and a throwing call throws E_code. */
function noLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const r = f();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}
function throwsNoLeak(f: () => unknown, code: string, msg?: RegExp): void {
  const before = tf.memory().numTensors;
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a throw').toBeInstanceOf(CamkitError);
  expect((err as CamkitError).code).toBe(code);
  if (msg) expect((err as Error).message).toMatch(msg);
  expect(tf.memory().numTensors).toBe(before);
}

describe('target tolerances', () => {
  it('are the numbers of test/tolerances.json', () => {
    expect(TARGET_TOLERANCES.value).toBe(tol.target_value_abs);
    expect(TARGET_TOLERANCES.dtarget_dlogits).toBe(tol.target_dlogits_rel);
    expect(TARGET_TOLERANCES.gradients).toBe(tol.target_gradients_rel);
    expect(TARGET_TOLERANCES.precision_sensitive).toBe(tol.target_precision_sensitive);
    expect(TARGET_TOLERANCES.output).toBe(tol.seg_output_abs);
    expect(TARGET_TOLERANCES.mask).toBe(tol.seg_mask_mismatches);
    expect(TARGET_TOLERANCES.grayscale_cam).toBe(tol.e2e_map_abs);
  });
});

for (const backend of BACKENDS) {
  describe(`target library on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('every stored v2 target: value and dT/dz at the stored logits (pgc float64 references)', () => {
      let n = 0;
      for (const c of g.cases.filter((k) => k.targets)) {
        for (const [name, t] of Object.entries(c.targets!)) {
          const entry = V2_TARGETS[name];
          expect(entry, name).toBeDefined();
          const z = tf.tensor2d([c.logits]);
          const { value, grad } = noLeak(() => valueGrad(entry.make(c.target_class), z));
          z.dispose();
          expect(Math.abs(value[0] - (t.value as number)), `${c.id} ${name} value`).toBeLessThan(1e-5 * Math.max(1, Math.abs(t.value as number)));
          expect(relErr(grad, t.dtarget_dlogits_float64 as number[]), `${c.id} ${name} dT/dz`).toBeLessThan(tol.target_dlogits_rel);
          n++;
        }
      }
      expect(n).toBe(36);
    });

    it('FinerCAM target (every case): value and dT/dz against methods.FinerCAM.extra', () => {
      let n = 0;
      for (const c of g.cases.filter((k) => k.methods.FinerCAM)) {
        const e = c.methods.FinerCAM.extra as { target_idx: number; alpha: number; comparison_positions: number[]; target_value: number; dtarget_dlogits_float64: number[] };
        const fn = finerTarget(e.target_idx, { alpha: e.alpha, comparisons: e.comparison_positions });
        const z = tf.tensor2d([c.logits]);
        const { value, grad } = noLeak(() => valueGrad(fn, z));
        expect(Math.abs(value[0] - e.target_value), c.id).toBeLessThan(1e-5 * Math.max(1, Math.abs(e.target_value)));
        expect(relErr(grad, e.dtarget_dlogits_float64), c.id).toBeLessThan(tol.target_dlogits_rel);
        z.dispose();
        n++;
      }
      expect(n).toBe(20);
    });

    it('finerTarget.fix keeps the classes chosen on the clean output (value unchanged there)', async () => {
      for (const c of g.cases.filter((k) => k.methods.FinerCAM).slice(0, 6)) {
        const e = c.methods.FinerCAM.extra as { target_idx: number; comparison_categories: number[] };
        const z = tf.tensor2d([c.logits]);
        const before = tf.memory().numTensors;
        const fixed = await finerTarget(e.target_idx).info!.fix!(z);
        expect(tf.memory().numTensors).toBe(before);
        const free = finerTarget(e.target_idx);
        const [a, b] = tf.tidy(() => [fixed(z).dataSync()[0], free(z).dataSync()[0]]);
        expect(a).toBe(b);
        // A logit moved past the comparison classes: the free target re-chooses, the fixed one does not.
        const moved = tf.tidy(() => tf.add(z, tf.mul(tf.oneHot([e.comparison_categories[0]], z.shape[1]), 100)));
        const [fa, fb] = tf.tidy(() => [fixed(moved).dataSync()[0], free(moved).dataSync()[0]]);
        expect(fa).not.toBeCloseTo(fb, 3);
        tf.dispose([z, moved]);
      }
    });

    it('segmentation: the arg-max mask equals the stored one exactly, and the value the stored value', () => {
      for (const c of g.cases.filter((k) => k.task === 'segmentation')) {
        const t = c.target as { category: number; mask: { values: number[] }; value: number };
        const out = tf.tensor(c.output!.values, c.output!.shape);
        const mask = noLeak(() => tf.tidy(() => Array.from(segmentationMask(out, t.category).dataSync())));
        expect(mask, c.id).toEqual(t.mask.values);
        const { value, grad } = noLeak(() => valueGrad(segmentationTarget(t.category), out));
        expect(Math.abs(value[0] - t.value) / t.value, c.id).toBeLessThan(1e-6);
        // ∂T/∂output is the mask on the category's channel, 0 elsewhere.
        const C = c.output!.shape[3];
        const want = new Float32Array(grad.length);
        t.mask.values.forEach((m, p) => (want[p * C + t.category] = m));
        expect(Array.from(grad)).toEqual(Array.from(want));
        // The same with the mask given ([H, W] nested, flat {data, shape}, a tensor).
        const [H, W] = [c.output!.shape[1], c.output!.shape[2]];
        const nested = Array.from({ length: H }, (_, y) => t.mask.values.slice(y * W, (y + 1) * W));
        const mt = tf.tensor2d(nested);
        for (const m of [nested, { data: t.mask.values, shape: [H, W] }, mt]) {
          expect(noLeak(() => valueGrad(segmentationTarget(t.category, m), out)).value[0]).toBeCloseTo(value[0], 3);
        }
        tf.dispose([out, mt]);
      }
    });

    it('class family: per-sample classes, top1, positions summed; softmax and ReST by formula', () => {
      const z = tf.tensor2d([
        [0.5, 2.0, -1.0],
        [3.0, -2.0, 0.25],
      ]);
      const rows = [
        [0.5, 2.0, -1.0],
        [3.0, -2.0, 0.25],
      ];
      const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
      expect(noLeak(() => valueGrad(classTarget([2, 0]), z)).value).toEqual([-1, 3]);
      expect(noLeak(() => valueGrad(classTarget(), z)).value).toEqual([2, 3]);
      const sm = noLeak(() => valueGrad(softmaxTarget(1), z)).value;
      rows.forEach((r, i) => expect(sm[i]).toBeCloseTo(Math.exp(r[1] - lse(r)), 6));
      const rs = noLeak(() => valueGrad(restTarget([1, 0]), z));
      expect(rs.value[0]).toBeCloseTo(2 * 2.0 - lse(rows[0]), 5);
      expect(rs.value[1]).toBeCloseTo(2 * 3.0 - lse(rows[1]), 5);
      // ∂ReST/∂z = 2δ_c − softmax(z).
      const p = rows[0].map((v) => Math.exp(v - lse(rows[0])));
      expect(rs.grad[1]).toBeCloseTo(2 - p[1], 5);
      expect(rs.grad[0]).toBeCloseTo(-p[0], 5);
      // Samples: rows 0 and 1 belong to samples 1 and 1 (one image's perturbed copies).
      expect(noLeak(() => tf.tidy(() => Array.from(classTarget([2, 0])(z, [1, 1]).dataSync())))).toEqual([0.5, 3]);
      // An [N, H, W, C] output: the class summed over the positions.
      const dense = tf.ones([2, 3, 4, 3]);
      expect(noLeak(() => valueGrad(classTarget(1), dense)).value).toEqual([12, 12]);
      tf.dispose([z, dense]);
    });

    it('raw scores and binary heads', () => {
      const z = tf.tensor2d([
        [0.5, 2.0, -1.0],
        [3.0, -2.0, 0.25],
      ]);
      expect(noLeak(() => valueGrad(rawScoresTarget([0, 2]), z)).value).toEqual([-0.5, 3.25]);
      const one = tf.tensor2d([[0.7], [-0.2]]);
      const raw = noLeak(() => valueGrad(rawScoresTarget(), one));
      expect(raw.value[0]).toBeCloseTo(0.7, 6);
      expect(Array.from(raw.grad)).toEqual([1, 1]);
      expect(noLeak(() => valueGrad(binaryTarget(0), one)).value[1]).toBeCloseTo(0.2, 6);
      expect(Array.from(noLeak(() => valueGrad(binaryTarget(0), one)).grad)).toEqual([-1, -1]);
      expect(noLeak(() => valueGrad(binaryTarget(1, 2), z)).value).toEqual([-1, 0.25]);
      expect(Array.from(noLeak(() => valueGrad(binaryTarget(0, 1), z)).grad, (v) => v + 0)).toEqual([0, -1, 0, 0, -1, 0]);
      // Rank-1 output: one unit per sample.
      const r1 = tf.tensor1d([1.5, 2.5]);
      expect(noLeak(() => valueGrad(binaryTarget(1), r1)).value).toEqual([1.5, 2.5]);
      r1.dispose();
      throwsNoLeak(() => rawScoresTarget()(z), 'E_TARGET', /one-unit head/);
      throwsNoLeak(() => binaryTarget(1)(z), 'E_TARGET', /pick the unit/);
      tf.dispose([z, one]);
    });

    it('heatmap peaks: strongest, at a cell, summed over the 3×3 peaks in a box (with threshold)', async () => {
      // [1, 4, 5, 2]: channel 1 has peaks 0.9 at (x1,y1), 0.6 at (x4,y3), 0.3 at (x3,y0).
      const ch1 = [
        [0.1, 0.2, 0.1, 0.3, 0.0],
        [0.2, 0.9, 0.2, 0.1, 0.0],
        [0.1, 0.2, 0.1, 0.0, 0.4],
        [0.0, 0.0, 0.0, 0.1, 0.6],
      ];
      const vals: number[] = [];
      ch1.forEach((r) => r.forEach((v) => vals.push(-1, v)));
      const hm = tf.tensor4d(vals, [1, 4, 5, 2]);
      const peak = noLeak(() => valueGrad(heatmapTarget(1), hm));
      expect(peak.value[0]).toBeCloseTo(0.9, 6);
      expect(peak.grad[(1 * 5 + 1) * 2 + 1]).toBe(1);
      expect(peak.grad.reduce((a, v) => a + v, 0)).toBe(1);
      expect(noLeak(() => valueGrad(heatmapTarget(1, { at: { x: 4, y: 2 } }), hm)).value[0]).toBeCloseTo(0.4, 6);
      // Peaks in the whole grid: 0.9, 0.6, 0.3 and the plateau-free corners… only strict 3×3 maxima that equal their pool.
      const all = noLeak(() => valueGrad(heatmapTarget(1, { box: [0, 0, 5, 4] }), hm)).value[0];
      expect(all).toBeCloseTo(0.9 + 0.6 + 0.3, 5);
      expect(noLeak(() => valueGrad(heatmapTarget(1, { box: [2, 0, 5, 4] }), hm)).value[0]).toBeCloseTo(0.6 + 0.3, 5);
      expect(noLeak(() => valueGrad(heatmapTarget(1, { box: [0, 0, 5, 4], threshold: 0.5 }), hm)).value[0]).toBeCloseTo(1.5, 5);
      // fix keeps the clean peak when the output moves.
      const before = tf.memory().numTensors;
      const fixed = await heatmapTarget(1).info!.fix!(hm);
      expect(tf.memory().numTensors).toBe(before);
      const moved = tf.tidy(() => tf.add(hm, tf.mul(tf.oneHot([(3 * 5 + 4) * 2 + 1], 40).reshape([1, 4, 5, 2]), 1)));
      expect(tf.tidy(() => fixed(moved).dataSync()[0])).toBeCloseTo(0.9, 6);
      expect(tf.tidy(() => heatmapTarget(1)(moved).dataSync()[0])).toBeCloseTo(1.6, 6);
      throwsNoLeak(() => heatmapTarget(1, { at: { x: 5, y: 0 } })(hm), 'E_TARGET', /outside/);
      throwsNoLeak(() => heatmapTarget(2)(hm), 'E_TARGET', /out of range/);
      tf.dispose([hm, moved]);
    });

    it('boxes: pgc FasterRCNNBoxScoreTarget (best IoU over all candidates, then its label), differentiable', () => {
      // Raw output [1, 3, 6]: per candidate x1, y1, x2, y2, score, label.
      const raw = tf.tensor3d([[
        [0, 0, 10, 10, 0.9, 1],
        [1, 1, 11, 11, 0.8, 2],
        [20, 20, 30, 30, 0.7, 1],
      ]]);
      const decode = (o: tf.Tensor) => ({
        boxes: tf.slice(o, [0, 0, 0], [-1, -1, 4]),
        scores: tf.reshape(tf.slice(o, [0, 0, 4], [-1, -1, 1]), [o.shape[0], -1]),
        labels: tf.reshape(tf.slice(o, [0, 0, 5], [-1, -1, 1]), [o.shape[0], -1]),
      });
      const iou = (a: number[], b: number[]) => {
        const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])), h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        const i = w * h;
        return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i);
      };
      // Ref A matches candidate 0 (label 1); ref B's best IoU is candidate 1 (label 2) ≠ 1: no score
      // (pgc does not fall back to the best box of the right label); ref C overlaps candidate 2 too little.
      const refs = [[0, 0, 10, 9], [1, 1, 11, 12], [25, 25, 40, 40]];
      const fn = boxTarget({ decode, boxes: refs as never, labels: [1, 1, 1] });
      const r = noLeak(() => valueGrad(fn, raw));
      expect(iou(refs[2], [20, 20, 30, 30])).toBeLessThan(0.5);
      expect(r.value[0]).toBeCloseTo(iou(refs[0], [0, 0, 10, 10]) + 0.9, 5);
      // The score's gradient reaches candidate 0's score and box only.
      expect(r.grad[4]).toBe(1);
      expect(r.grad.slice(6).every((v) => v === 0)).toBe(true);
      expect(Math.abs(r.grad[3])).toBeGreaterThan(0);
      // Labels matching: ref B with label 2 counts.
      expect(noLeak(() => valueGrad(boxTarget({ decode, boxes: [refs[1]] as never, labels: [2] }), raw)).value[0]).toBeCloseTo(iou(refs[1], [1, 1, 11, 11]) + 0.8, 5);
      const a = tf.tensor3d([[[0, 0, 2, 2]]]), b = tf.tensor3d([[[1, 1, 3, 3], [0, 0, 2, 2]]]);
      const ious = noLeak(() => tf.tidy(() => Array.from(boxIou(a, b).dataSync())));
      expect(ious[0]).toBeCloseTo(1 / 7, 6);
      expect(ious[1]).toBe(1);
      throwsNoLeak(() => boxTarget({ decode: () => ({ boxes: tf.zeros([1, 2, 3]), scores: tf.zeros([1, 2]), labels: tf.zeros([1, 2]) }), boxes: [[0, 0, 1, 1]], labels: [0] })(raw), 'E_SHAPE');
      tf.dispose([raw, a, b]);
    });

    it('embeddings: cosine similarity to a concept (torch CosineSimilarity)', () => {
      const o = tf.tensor2d([
        [1, 2, 2],
        [0, 3, 4],
      ]);
      const v = [2, 0, 0];
      const r = noLeak(() => valueGrad(similarityTarget(v), o));
      expect(r.value[0]).toBeCloseTo(1 / 3, 6);
      expect(r.value[1]).toBeCloseTo(0, 6);
      // ∂cos/∂o = v/(|o||v|) − cos·o/|o|².
      expect(r.grad[0]).toBeCloseTo(1 / 3 - (1 / 3) * (1 / 9), 5);
      const per = noLeak(() => valueGrad(similarityTarget([v, [0, 3, 4]]), o)).value;
      expect(per[1]).toBeCloseTo(1, 6);
      throwsNoLeak(() => similarityTarget([1, 2])(o), 'E_SHAPE', /concept has 2 values/);
      o.dispose();
    });

    it('targetForRows and resolveTargets: per-sample arguments follow batch slices', () => {
      const z = tf.tensor2d([[0, 1, 2]]);
      const t = targetForRows(classTarget([0, 1, 2]), 2, 1, 3) as TargetFn;
      expect(tf.tidy(() => t(z).dataSync()[0])).toBe(2);
      expect(resolveTargets(t, [0, 1, 2], 1, 3)).toEqual([[2]]);
      expect(resolveTargets(softmaxTarget(), [0, 5, 2, 9, 1, 1], 2, 3)).toEqual([[1], [0]]);
      expect(resolveTargets(segmentationTarget(4), [], 2, 6)).toEqual([[4], [4]]);
      z.dispose();
    });

    it('bad arguments and outputs: typed errors before any tensor, nothing leaked', () => {
      const z = tf.tensor2d([[0, 1, 2]]);
      throwsNoLeak(() => classTarget(3)(z), 'E_TARGET', /out of range/);
      throwsNoLeak(() => classTarget(-1), 'E_TARGET');
      throwsNoLeak(() => softmaxTarget(1.5), 'E_TARGET');
      throwsNoLeak(() => classTarget([0, 1])(z), 'E_TARGET', /2 per-sample entries for a batch of 1/);
      throwsNoLeak(() => classTarget([0, 1])(z, [2]), 'E_TARGET', /no entry for sample 2/);
      throwsNoLeak(() => classTarget(0)(z, [0, 1]), 'E_SHAPE', /samples/);
      throwsNoLeak(() => finerTarget(0)(z), 'E_TARGET', /at least 4 classes/);
      throwsNoLeak(() => finerTarget(0, { comparisons: [0] }), 'E_OPTION');
      throwsNoLeak(() => finerTarget(0, { alpha: NaN }), 'E_OPTION');
      throwsNoLeak(() => segmentationTarget(0)(z), 'E_TARGET', /dense output/);
      throwsNoLeak(() => segmentationTarget(0, [[1, 0], [1]])(z), 'E_SHAPE');
      const dense = tf.zeros([1, 2, 2, 3]);
      throwsNoLeak(() => segmentationTarget(0, [[1, 0, 1]])(dense), 'E_SHAPE', /mask is \[1,3\]/);
      throwsNoLeak(() => segmentationTarget(0, { data: [1, NaN, 0, 0], shape: [2, 2] }), 'E_NONFINITE');
      throwsNoLeak(() => heatmapTarget(0, { at: { x: 0, y: 0 }, box: [0, 0, 1, 1] }), 'E_OPTION');
      throwsNoLeak(() => boxTarget({ decode: (o) => ({ boxes: o, scores: o, labels: o }), boxes: [[0, 0, 1, 1]], labels: [] }), 'E_OPTION');
      const gone = tf.zeros([1, 3]);
      gone.dispose();
      throwsNoLeak(() => classTarget(0)(gone), 'E_DISPOSED');
      tf.dispose([z, dense]);
    });
  });
}
