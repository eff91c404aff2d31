// src/methods/guided.ts on small inputs, without tfjs: Guided Grad-CAM's shape checks and product
// (the fuse_guided kernel for 3 channels, a loop for others) and deprocess_image's known answers.
// inputs.test.ts runs the same function with tensors, test/golden/methods.test.ts on the references.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { deprocessImage, guidedGradCam, guidedGradCamSync } from '../../src/methods/guided.js';
import { createRuntime } from '../../src/runtime/init.js';
import type { CamResult } from '../../src/compute.js';
import { rand } from '../helpers/flavors.js';
import { caught } from '../helpers/caught.js';

describe('guidedGradCamSync', async () => {
  const rts = [await createRuntime('js'), await createRuntime('scalar')];

  it('gb [N,H,W,C] × map [N,H,W], every channel, for 1–4 channels and rank 3', () => {
    for (const rt of rts) {
      for (const ch of [1, 2, 3, 4]) {
        const gb = rand(2 * 3 * 2 * ch, ch, -2, 2), map = rand(2 * 3 * 2, 10 + ch, 0, 1);
        const got = guidedGradCamSync(rt, { data: gb, shape: [2, 3, 2, ch] }, map);
        expect(got).toBeInstanceOf(Float32Array);
        expect(Array.from(got), `${rt.flavor} ${ch}`).toEqual(Array.from(gb, (v, i) => Math.fround(v * map[Math.floor(i / ch)])));
        const one = guidedGradCamSync(rt, { data: gb.subarray(0, 6 * ch), shape: [3, 2, ch] }, map.subarray(0, 6));
        expect(Array.from(one)).toEqual(Array.from(got.subarray(0, 6 * ch)));
      }
    }
  });

  it('takes a CamResult for the map; anything else is E_DTYPE', () => {
    const rt = rts[0];
    const gb = rand(4 * 3, 1), map = rand(4, 2, 0, 1);
    const x = { data: gb, shape: [2, 2, 3] };
    expect(Array.from(guidedGradCamSync(rt, x, { map } as CamResult))).toEqual(Array.from(guidedGradCamSync(rt, x, map)));
    for (const bad of [Array.from(map), { map: Array.from(map) }, undefined]) {
      const e = caught(() => guidedGradCamSync(rt, x, bad as unknown as Float32Array));
      expect(e).toBeInstanceOf(InputError);
      expect([e.code, e.message]).toEqual(['E_DTYPE', 'the CAM map must be a Float32Array or a CamResult.']);
    }
  });

  it('shape errors name the shapes; non-finite values are refused', () => {
    const rt = rts[0];
    const gb = rand(2 * 2 * 3 * 3, 3), map = rand(2 * 2 * 3, 4, 0, 1);
    const wrongRank = caught(() => guidedGradCamSync(rt, { data: gb, shape: [12, 3] }, map));
    expect([wrongRank.code, wrongRank.message]).toEqual(['E_SHAPE', 'guided backprop must be [N, H, W, C] or [H, W, C], got [12, 3].']);
    // Rank 5 fails the rank check itself (its leading dims would even match the map's 12 values).
    expect(caught(() => guidedGradCamSync(rt, { data: gb, shape: [1, 2, 2, 3, 3] }, map)).message).toBe('guided backprop must be [N, H, W, C] or [H, W, C], got [1, 2, 2, 3, 3].');
    expect(caught(() => guidedGradCamSync(rt, { data: gb, shape: [3, 2, 2, 3, 1] }, map)).message).toMatch(/^guided backprop must be/);
    const wrongMap = caught(() => guidedGradCamSync(rt, { data: gb, shape: [2, 2, 3, 3] }, map.subarray(1)));
    expect([wrongMap.code, wrongMap.message]).toEqual(['E_SHAPE', 'the CAM map has 11 values; guided backprop [2, 2, 3, 3] needs 2×2×3 = 12 (a map at input size).']);
    expect(caught(() => guidedGradCamSync(rt, { data: gb, shape: [2, 2, 3, 3] }, rand(13, 1))).code).toBe('E_SHAPE');
    expect(caught(() => guidedGradCamSync(rt, { data: gb.subarray(1), shape: [2, 2, 3, 3] }, map)).message).toBe('guided backprop.data has 35 values but shape [2, 2, 3, 3] needs 36.');
    const badGb = Float32Array.from(gb);
    badGb[7] = NaN;
    const e1 = caught(() => guidedGradCamSync(rt, { data: badGb, shape: [2, 2, 3, 3] }, map));
    expect(e1.code).toBe('E_NONFINITE');
    expect(e1.message).toMatch(/^guided backprop holds NaN at index 7;/);
    const badMap = Float32Array.from(map);
    badMap[2] = Infinity;
    const e2 = caught(() => guidedGradCamSync(rt, { data: gb, shape: [2, 2, 3, 3] }, badMap));
    expect(e2.code).toBe('E_NONFINITE');
    expect(e2.message).toMatch(/^CAM map holds Infinity at index 2;/);
  });
});

describe('guidedGradCam', () => {
  it('reads a duck-typed tensor after checking its shape against the map', async () => {
    const gb = rand(2 * 2 * 3, 5), map = rand(4, 6, 0, 1);
    let reads = 0;
    const t = (shape: number[]) => ({ shape, dtype: 'float32', data: async () => (reads++, gb) });
    const want = Array.from(gb, (v, i) => Math.fround(v * map[Math.floor(i / 3)]));
    expect(Array.from(await guidedGradCam(t([2, 2, 3]), map))).toEqual(want);
    expect(Array.from(await guidedGradCam({ data: gb, shape: [1, 2, 2, 3] }, map))).toEqual(want);
    expect(reads).toBe(1);
    await expect(guidedGradCam(t([2, 3, 2]), map.subarray(1))).rejects.toThrow(/needs 1×2×3 = 6/);
    await expect(guidedGradCam(t([2, 2, 3]), [1, 2] as unknown as Float32Array)).rejects.toThrow(/must be a Float32Array or a CamResult/);
    await expect(guidedGradCam({ ...t([2, 2, 3]), dtype: 'int32' }, map)).rejects.toThrow('guided backprop must be float32, got int32.');
    expect(reads).toBe(1);
  });
});

describe('deprocessImage', () => {
  it('(x − mean)/(std + 1e-5)·0.1 + 0.5, clipped to [0, 1], ·255 truncated', () => {
    // mean 1.5, std √1.25: z = ∓1.342, ∓0.447 → 0.366, 0.455, 0.545, 0.634 → 93.3, 116.1, 138.9, 161.7.
    expect(Array.from(deprocessImage([0, 1, 2, 3]))).toEqual([93, 116, 138, 161]);
    expect(Array.from(deprocessImage(new Float32Array([3, 2, 1, 0])))).toEqual([161, 138, 116, 93]);
    // A constant image: z = 0 everywhere → 127.5 → 127.
    expect(Array.from(deprocessImage([5, 5, 5]))).toEqual([127, 127, 127]);
    // One outlier among 101 values: z = ±10 clips to 255 (or 0); the others sit at z ≈ ∓0.1.
    const up = new Array(101).fill(0);
    up[40] = 1;
    const d = deprocessImage(up);
    expect(d[40]).toBe(255);
    expect(d[0]).toBe(124);
    up[40] = -1;
    const e = deprocessImage(up);
    expect(e[40]).toBe(0);
    expect(e[0]).toBe(130);
    expect(d).toBeInstanceOf(Uint8Array);
    expect(d).toHaveLength(101);
  });

  it('an empty image is E_EMPTY and a non-finite value E_NONFINITE', () => {
    const empty = caught(() => deprocessImage([]));
    expect([empty.code, empty.message]).toEqual(['E_EMPTY', 'deprocessImage: the image is empty.']);
    const nan = caught(() => deprocessImage([1, NaN]));
    expect(nan.code).toBe('E_NONFINITE');
    expect(nan.message).toMatch(/^deprocessImage input holds NaN at index 1;/);
  });
});
