// src/core/post.ts on small hand-computed maps (TypeScript kernels, no golden data): option
// resolution, buffer sizes, each output mode, normalisation and resize, map fusion and resizeMapsSync.
// post.test.ts checks the same options against the golden references on every kernel flavor.
import { describe, expect, it } from 'vitest';
import { absErr } from '../helpers/flavors.js';
import { NameError, OptionError } from '../../src/errors.js';
import { CAM_EPS, fuseMaps, postBuffers, postProcess, resizeMapsSync, resolvePost, type PostOptions } from '../../src/core/post.js';
import { createRuntime, init, type Runtime } from '../../src/runtime/init.js';
import { caught } from '../helpers/caught.js';

function post(rt: Runtime, src: ArrayLike<number>, n: number, h: number, w: number, opts: PostOptions): { out: number[]; src: number[] } {
  const p = resolvePost(h, w, opts);
  const { f: [s, work, out, tmp] } = rt.arena.take([n * h * w, ...postBuffers(n, h, w, p)]);
  s.set(Array.from(src));
  postProcess(rt, s, work, out, tmp, n, h, w, p);
  return { out: Array.from(out), src: Array.from(s) };
}

const f = Math.fround;
/** Equal within float32 rounding: every mutant that matters changes a value by far more. */
const near = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6) => expect(absErr(got, want), `${Array.from(got)} vs ${Array.from(want)}`).toBeLessThanOrEqual(tol);

describe('resolvePost', () => {
  it('defaults: ReLU, normalised min-max, half-pixel bilinear, the input size else the layer size', () => {
    expect(resolvePost(5, 6)).toEqual({ relu: true, output: 'normalised', normalisation: 'minmax', resize: 'bilinear', oh: 5, ow: 6 });
    expect(resolvePost(5, 6, {}, [10, 12])).toMatchObject({ oh: 10, ow: 12 });
    expect(resolvePost(5, 6, { outputSize: [7, 8] }, [10, 12])).toMatchObject({ oh: 7, ow: 8 });
    expect(resolvePost(5, 6, { relu: false }).relu).toBe(false);
  });

  it('names are case-insensitive; unknown ones are NameErrors naming the option', () => {
    expect(resolvePost(2, 2, { output: 'RAW' as 'raw', normalisation: 'Max' as 'max', resize: 'Nearest' as 'nearest' })).toMatchObject({ output: 'raw', normalisation: 'max', resize: 'nearest' });
    expect(resolvePost(2, 2, { output: 'signed', normalisation: 'none', resize: 'bilinear-align-corners' })).toMatchObject({ output: 'signed', normalisation: 'none', resize: 'bilinear-align-corners' });
    for (const [opts, msg] of [
      [{ output: 'rough' }, /^Unknown output 'rough'\./],
      [{ normalisation: 'zscore' }, /^Unknown normalisation 'zscore'\./],
      [{ resize: 'bicubic' }, /^Unknown resize mode 'bicubic'\./],
    ] as const) {
      const e = caught(() => resolvePost(2, 2, opts as unknown as PostOptions));
      expect(e).toBeInstanceOf(NameError);
      expect(e.message).toMatch(msg);
    }
  });

  it('outputSize must be two positive integers', () => {
    for (const bad of [[0, 3], [3, 0], [3], [3, 4, 5], [2.5, 3], [3, -1], [3, NaN], '33', { 0: 3, 1: 3, length: 2 }]) {
      const e = caught(() => resolvePost(2, 2, { outputSize: bad as unknown as [number, number] }));
      expect(e, JSON.stringify(bad)).toBeInstanceOf(OptionError);
      expect(e.message).toBe(`outputSize must be [height, width] of positive integers, got ${JSON.stringify(bad)}.`);
    }
    expect(caught(() => resolvePost(2, 2, {}, [0, 2])).code).toBe('E_OPTION');
  });

  it("resize 'none' keeps the layer size; an explicit other outputSize is an error, the input size is not", () => {
    expect(resolvePost(5, 6, { resize: 'none' }, [10, 12])).toMatchObject({ oh: 5, ow: 6 });
    expect(resolvePost(5, 6, { resize: 'none', outputSize: [5, 6] })).toMatchObject({ oh: 5, ow: 6 });
    for (const size of [[5, 7], [4, 6]] as [number, number][]) {
      const e = caught(() => resolvePost(5, 6, { resize: 'none', outputSize: size }));
      expect(e).toBeInstanceOf(OptionError);
      expect(e.message).toBe(`resize 'none' keeps the layer size 5×6; it cannot produce outputSize ${size[0]}×${size[1]}.`);
    }
  });
});

describe('postBuffers', () => {
  it('work n·h·w, out n·oh·ow, and the bilinear scratch 2·(h + 1)·ow + 2·oh (none for nearest or none)', () => {
    expect(postBuffers(2, 3, 4, resolvePost(3, 4, { outputSize: [5, 7] }))).toEqual([24, 70, 2 * 4 * 7 + 2 * 5]);
    expect(postBuffers(2, 3, 4, resolvePost(3, 4, { outputSize: [5, 7], resize: 'bilinear-align-corners' }))).toEqual([24, 70, 66]);
    expect(postBuffers(2, 3, 4, resolvePost(3, 4, { outputSize: [5, 7], resize: 'nearest' }))).toEqual([24, 70, 0]);
    expect(postBuffers(1, 3, 4, resolvePost(3, 4, { resize: 'none' }))).toEqual([12, 12, 0]);
  });
});

describe('postProcess', async () => {
  const rt = await createRuntime('js');
  const x = [-1, 2, 3, 4];

  it('leaves the source unchanged', () => {
    for (const opts of [{}, { output: 'signed' }, { relu: false }] as PostOptions[]) expect(post(rt, x, 1, 2, 2, opts).src).toEqual(x);
  });

  it('normalised: ReLU then min-max with eps; without ReLU the negative minimum counts', () => {
    const d = f(CAM_EPS + 4);
    near(post(rt, x, 1, 2, 2, {}).out, [0, 2, 3, 4].map((v) => f(v) / d));
    const d2 = f(CAM_EPS + 5);
    near(post(rt, x, 1, 2, 2, { relu: false }).out, [0, 3, 4, 5].map((v) => f(v) / d2));
    // Two maps are normalised each on its own.
    near(post(rt, [...x, 1, 1, 2, 3], 2, 2, 2, {}).out, [...[0, 2, 3, 4].map((v) => f(v) / d), ...[0, 0, 1, 2].map((v) => f(v) / f(CAM_EPS + 2))]);
  });

  it("'max' divides by max + eps and leaves a non-positive map alone; 'none' keeps the values", () => {
    near(post(rt, x, 1, 2, 2, { normalisation: 'max' }).out, [0, 2, 3, 4].map((v) => f(v / (4 + CAM_EPS))));
    // The eps keeps a 'max' map below 1 (twice divided by max + 1e-7); 'signed' divides by max |·| alone.
    const top = post(rt, [0, 3, 0, 0], 1, 2, 2, { normalisation: 'max', resize: 'none' }).out[1];
    expect(top).toBeLessThan(1);
    expect(top).toBeGreaterThan(0.9999);
    expect(post(rt, [0, 3, 0, 0], 1, 2, 2, { output: 'signed', resize: 'none' }).out[1]).toBe(1);
    // Like min-max, 'max' runs before and after the resize: a map of the size of eps ends at max ≈ 1.
    near(post(rt, [0, 1e-7, 2e-7, 0], 1, 2, 2, { normalisation: 'max' }).out, [0, 0.5, 1, 0]);
    expect(post(rt, [-1, -2, -3, 0], 1, 2, 2, { normalisation: 'max', relu: false }).out).toEqual([-1, -2, -3, 0]);
    expect(post(rt, [-1, -2, -3, -0.5], 1, 2, 2, { normalisation: 'max', relu: false }).out).toEqual([-1, -2, -3, -0.5]);
    expect(post(rt, x, 1, 2, 2, { normalisation: 'none' }).out).toEqual([0, 2, 3, 4]);
    expect(post(rt, x, 1, 2, 2, { normalisation: 'none', relu: false }).out).toEqual(x);
  });

  it("'raw' is ReLU and resize only, whatever the normalisation; 'signed' skips ReLU and divides by max |·|", () => {
    expect(post(rt, x, 1, 2, 2, { output: 'raw' }).out).toEqual([0, 2, 3, 4]);
    expect(post(rt, x, 1, 2, 2, { output: 'raw', normalisation: 'max' }).out).toEqual([0, 2, 3, 4]);
    expect(post(rt, x, 1, 2, 2, { output: 'raw', relu: false }).out).toEqual(x);
    expect(post(rt, x, 1, 2, 2, { output: 'signed' }).out).toEqual([-0.25, 0.5, 0.75, 1]);
    expect(post(rt, [-8, 2, 4, 1], 1, 2, 2, { output: 'signed', relu: true }).out).toEqual([-1, 0.25, 0.5, 0.125]);
    // An all-zero map stays zero (no division by 0); two maps are scaled each on its own.
    expect(post(rt, [0, 0, 0, 0, 1, -2, 0, 0], 2, 2, 2, { output: 'signed' }).out).toEqual([0, 0, 0, 0, 0.5, -1, 0, 0]);
  });

  it('resizes: half-pixel and align-corners bilinear differ, nearest copies, none keeps the layer size', () => {
    const row = [0, 1];
    const raw = { output: 'raw', outputSize: [1, 4] } as const;
    expect(post(rt, row, 1, 1, 2, raw).out).toEqual([0, 0.25, 0.75, 1]);
    expect(absErr(post(rt, row, 1, 1, 2, { ...raw, resize: 'bilinear-align-corners' }).out, [0, 1 / 3, 2 / 3, 1])).toBeLessThanOrEqual(1e-7);
    expect(post(rt, row, 1, 1, 2, { ...raw, resize: 'nearest' }).out).toEqual([0, 0, 1, 1]);
    expect(post(rt, [0, 1, 2, 3], 1, 1, 4, { ...raw, outputSize: [1, 2], resize: 'nearest' }).out).toEqual([0, 2]);
    expect(post(rt, row, 1, 1, 2, { output: 'raw', resize: 'none' }).out).toEqual([0, 1]);
    // Normalised: the same resizes, then min-max over the resized map.
    const d = f(CAM_EPS + 1);
    near(post(rt, row, 1, 1, 2, { outputSize: [1, 4] }).out, [0, 0.25, 0.75, 1].map((v) => f(v) / d));
    expect(absErr(post(rt, row, 1, 1, 2, { outputSize: [1, 4], resize: 'bilinear-align-corners' }).out, [0, 1 / 3, 2 / 3, 1])).toBeLessThanOrEqual(1e-6);
    near(post(rt, row, 1, 1, 2, { outputSize: [1, 4], resize: 'nearest' }).out, [0, 0, 1, 1].map((v) => f(v) / d));
    near(post(rt, [0, 2, 4, 1], 1, 2, 2, { outputSize: [2, 2], normalisation: 'max' }).out, [0, 2, 4, 1].map((v) => f(v / (4 + CAM_EPS))));
    // Downscaling in height only, and a 2-map batch.
    expect(post(rt, [0, 0, 4, 4, 8, 8, 1, 1, 2, 2, 3, 3], 2, 3, 2, { output: 'raw', outputSize: [1, 2] }).out).toEqual([4, 4, 2, 2]);
  });
});

describe('fuseMaps', async () => {
  const rt = await createRuntime('js');

  it("'mean' (the default): ReLU, mean over the layers, min-max per map; 'max-tanh': max of tanh(2·map)", () => {
    const a = new Float32Array([-1, 0, 1, 2]), b = new Float32Array([3, 1, 0, -2]), c = new Float32Array([0, 2, 2, 0]);
    const mean = [1, 1, 1, 2 / 3]; // (relu a + relu b + relu c) / 3
    const lo = 2 / 3, d = 1 / 3 + CAM_EPS;
    expect(absErr(fuseMaps([a, b, c], undefined, { runtime: rt }), mean.map((v) => (v - lo) / d))).toBeLessThanOrEqual(1e-6);
    // n = 2: each half normalised on its own.
    const two = fuseMaps([a, b], 'mean', { n: 2, runtime: rt });
    near(two, [1, 0, 0, 1]);
    const mt = fuseMaps([a, b, c], 'MAX-TANH' as 'max-tanh', { runtime: rt });
    expect(absErr(mt, [0, 1, 2, 2].map((j) => Math.max(Math.tanh(2 * a[j]), Math.tanh(2 * b[j]), Math.tanh(2 * c[j]))))).toBeLessThanOrEqual(1e-7);
    expect(mt[0]).toBeCloseTo(Math.tanh(6), 6);
    // One map: the map itself through ReLU and min-max, or tanh(2·map).
    expect(absErr(fuseMaps([a], 'mean', { runtime: rt }), [0, 0, 0.5, 1])).toBeLessThanOrEqual(1e-6);
    expect(absErr(fuseMaps([a], 'max-tanh', { runtime: rt }), Array.from(a, (v) => Math.tanh(2 * v)))).toBeLessThanOrEqual(1e-7);
    // The mean (not the sum) is normalised: on maps of the size of eps that shows, 2e-7/(2e-7 + 1e-7).
    const tiny = new Float32Array([0, 2e-7]);
    near(fuseMaps([tiny, tiny, tiny], 'mean', { runtime: rt }), [0, 2 / 3], 1e-5);
    // The inputs are not modified.
    expect(Array.from(a)).toEqual([-1, 0, 1, 2]);
  });

  it('errors: no maps, n not dividing, not Float32Array, unequal lengths, empty maps', () => {
    const a = new Float32Array(6);
    const cases: [() => unknown, string, RegExp][] = [
      [() => fuseMaps([], 'mean', { runtime: rt }), 'E_EMPTY', /at least one map/],
      [() => fuseMaps([a], 'mean', { n: 4, runtime: rt }), 'E_SHAPE', /^fuseMaps: 6 values do not split into 4 maps\.$/],
      [() => fuseMaps([a], 'mean', { n: 0, runtime: rt }), 'E_SHAPE', /into 0 maps/],
      [() => fuseMaps([a], 'mean', { n: 1.5, runtime: rt }), 'E_SHAPE', /into 1.5 maps/],
      [() => fuseMaps([a], 'mean', { n: -2, runtime: rt }), 'E_SHAPE', /into -2 maps/],
      [() => fuseMaps([a, [0, 0, 0, 0, 0, 0] as unknown as Float32Array], 'mean', { runtime: rt }), 'E_DTYPE', /^fuseMaps: map 1 must be a Float32Array\.$/],
      [() => fuseMaps([a, new Float32Array(5)], 'mean', { runtime: rt }), 'E_SHAPE', /^fuseMaps: map 1 has 5 values, map 0 has 6; resize them to one size first\.$/],
      [() => fuseMaps([new Float32Array(0)], 'mean', { runtime: rt }), 'E_EMPTY', /^fuseMaps: the maps are empty\.$/],
    ];
    for (const [call, code, msg] of cases) {
      const e = caught(call);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(msg);
    }
    expect(caught(() => fuseMaps([a], 'median' as 'mean', { runtime: rt }))).toBeInstanceOf(NameError);
    expect(fuseMaps([a], 'mean', { n: 2, runtime: rt })).toHaveLength(6);
  });

  it('runs on the initialised runtime when none is given', async () => {
    await init({ kernels: 'js' });
    expect(absErr(fuseMaps([new Float32Array([0, 1, 2])]), [0, 0.5, 1])).toBeLessThanOrEqual(1e-6);
  });
});

describe('resizeMapsSync', async () => {
  const rt = await createRuntime('js');
  it('bilinear, half-pixel or align-corners, map by map, into a fresh array', () => {
    const r = resizeMapsSync(rt, [0, 1, 4, 2], 2, 1, 2, 1, 4);
    expect(r).toBeInstanceOf(Float32Array);
    expect(Array.from(r)).toEqual([0, 0.25, 0.75, 1, 4, 3.5, 2.5, 2]);
    expect(absErr(resizeMapsSync(rt, [0, 1], 1, 1, 2, 1, 4, true), [0, 1 / 3, 2 / 3, 1])).toBeLessThanOrEqual(1e-7);
    expect(Array.from(resizeMapsSync(rt, [0, 1], 1, 1, 2, 1, 4, false))).toEqual([0, 0.25, 0.75, 1]);
    // 2 maps of 2×1 → 3×2 (columns copied, rows interpolated): sizes other than 1 in every dimension.
    const tall = resizeMapsSync(rt, [0, 4, 8, 0], 2, 2, 1, 3, 2, true);
    expect(Array.from(tall)).toEqual([0, 0, 2, 2, 4, 4, 8, 8, 4, 4, 0, 0]);
  });
});
