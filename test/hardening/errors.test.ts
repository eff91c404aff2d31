// Hardening audit: every bad input, through the public entry points (computeCam, explain, render,
// the camkit CLI and the conformance CLI), gives the right error class + stable code + a clear
// message, leaks no tensor, and does not grow the wasm arena when the check runs before allocation.
// The CLIs answer with a non-zero exit, exactly one stderr line, no stack, nothing left in --out.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import {
  CamkitError,
  computeCam,
  FileError,
  getRuntime,
  init,
  InputError,
  MemoryLimitError,
  ModelError,
  NameError,
  OptionError,
  renderHeatmap,
  renderOverlay,
  type CamMap,
} from '../../src/index.js';
import { crc32, encodePng, parseMapJson, readMap } from '../../src/mapfile.js';
import { computeCamSync } from '../../src/compute.js';
import { camMethods } from '../../src/methods/registry.js';
import { explain } from '../../src/capture/index.js';
import { conformanceCli } from '../../src/conformance/cli.js';
import { main as camkitMain } from '../../src/cli/camkit.js';
import { rand } from '../helpers/flavors.js';
import { dynamicGraphModel } from '../helpers/tinygraph.js';
import { randomInput, sequentialModel, useBackend } from '../helpers/tfmodels.js';

type Cls = abstract new (...a: never[]) => CamkitError;
const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const GOLDEN = join(ROOT, '..', 'shared', 'golden', 'golden-public.json');
const work = mkdtempSync(join(tmpdir(), 'camkit-hardening-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A small ceiling keeps the E_MEMORY cases cheap, and a fresh runtime starts at its first page, so
// "the arena did not grow" means nothing was planned at all.
const MAX = 32 * 1024 * 1024;
let arena0 = 0;
beforeAll(async () => {
  await useBackend('cpu');
  await init({ kernels: 'simd', maxMemoryBytes: MAX });
  arena0 = (await getRuntime()).arena.byteLength;
});

/** Runs `fn`, expects it to throw `cls` with `code` and a message matching `msg`; no leak, arena unchanged. */
async function rejects(fn: () => unknown, cls: Cls, code: string, msg: RegExp, arena = true): Promise<CamkitError> {
  const rt = await getRuntime();
  const bytes = rt.arena.byteLength;
  const before = tf.memory().numTensors;
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(cls);
  const e = err as CamkitError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).toMatch(msg);
  expect(e.message.length).toBeLessThan(600);
  expect(tf.memory().numTensors, `tensors leaked by: ${e.message}`).toBe(before);
  if (arena) expect(rt.arena.byteLength, `arena grew before: ${e.message}`).toBe(bytes);
  return e;
}

const t4 = (shape: [number, number, number, number], seed = 1) => tf.tensor4d(rand(shape.reduce((a, b) => a * b), seed), shape);

describe('computeCam: every bad input is refused before allocation', () => {
  it('shape and rank mismatches name both shapes', async () => {
    const a = t4([1, 4, 4, 3]), g = t4([1, 4, 5, 3]), r2 = tf.zeros([4, 4]);
    await rejects(() => computeCam('GradCAM', { activations: a, gradients: g }), InputError, 'E_SHAPE', /\[1, 4, 5, 3\].*\[1, 4, 4, 3\]/);
    await rejects(() => computeCam('GradCAM', { activations: r2, gradients: r2 }), InputError, 'E_SHAPE', /rank 4.*got rank 2/);
    await rejects(() => computeCam('HiResCAM', { activations: a }), InputError, 'E_MISSING', /needs gradients/);
    await rejects(() => computeCam('GradCAM', { activations: { data: new Float32Array(47), shape: [1, 4, 4, 3] }, gradients: g }), InputError, 'E_SHAPE', /47 values.*needs 48/);
    tf.dispose([a, g, r2]);
    expect((await getRuntime()).arena.byteLength).toBe(arena0);
  });

  it('non-float dtypes', async () => {
    const a = tf.zeros([1, 4, 4, 3], 'int32'), g = t4([1, 4, 4, 3]), b = tf.zeros([1, 4, 4, 3], 'bool');
    await rejects(() => computeCam('GradCAM', { activations: a, gradients: g }), InputError, 'E_DTYPE', /activations must be float32, got int32/);
    await rejects(() => computeCam('GradCAM', { activations: g, gradients: b }), InputError, 'E_DTYPE', /gradients must be float32, got bool/);
    const f64 = { data: new Float64Array(48) as unknown as Float32Array, shape: [1, 4, 4, 3] };
    await rejects(() => computeCam('EigenCAM', { activations: f64 }), InputError, 'E_DTYPE', /Float32Array, got Float64Array/);
    tf.dispose([a, g, b]);
  });

  it('NaN and ±Inf: an error by default naming the index, zeroed on request', async () => {
    const A = rand(48, 3, 0, 1), G = rand(48, 4);
    const Gn = Float32Array.from(G);
    Gn[17] = NaN;
    const An = Float32Array.from(A);
    An[5] = -Infinity;
    const a = tf.tensor4d(A, [1, 4, 4, 3]), gn = tf.tensor4d(Gn, [1, 4, 4, 3]), an = tf.tensor4d(An, [1, 4, 4, 3]), g = tf.tensor4d(G, [1, 4, 4, 3]);
    await rejects(() => computeCam('GradCAM', { activations: a, gradients: gn }), InputError, 'E_NONFINITE', /gradients holds NaN at index 17.*nonFinite: 'zero'/);
    await rejects(() => computeCam('LayerCAM', { activations: an, gradients: g }), InputError, 'E_NONFINITE', /activations holds -Infinity at index 5/);
    await rejects(() => computeCam('ScoreCAM', { activations: a, scores: [1, NaN, 2] }), InputError, 'E_NONFINITE', /scores holds NaN/);
    expect((await getRuntime()).arena.byteLength).toBe(arena0);
    // 'zero' gives exactly the map of the same inputs with the bad values replaced by 0
    const before = tf.memory().numTensors;
    const z = await computeCam('GradCAM', { activations: a, gradients: gn }, { nonFinite: 'zero' });
    const G0 = Float32Array.from(G);
    G0[17] = 0;
    const ref = await computeCam('GradCAM', { activations: { data: A, shape: [1, 4, 4, 3] }, gradients: { data: G0, shape: [1, 4, 4, 3] } });
    expect(z.map).toEqual(ref.map);
    expect(Number.isNaN(Gn[17])).toBe(true); // the caller's data is never modified
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, gn, an, g]);
  });

  it('methods that skip the input scan (propagatesNonFinite) still name every NaN/±Inf, also where a weight or activation is 0', async () => {
    const rt = await getRuntime();
    const flagged = Object.values(camMethods).filter((m) => m.cam.propagatesNonFinite).map((m) => m.name);
    expect(flagged.sort()).toEqual(['CAM', 'FinerCAM', 'GradCAM', 'HiResCAM', 'ShapleyCAM']);
    const [n, h, w, c] = [2, 3, 5, 7];
    const shape = [n, h, w, c], len = n * h * w * c;
    for (const method of flagged) {
      for (let trial = 0; trial < 60; trial++) {
        const A = rand(len, 100 + trial, 0, 1), G = rand(len, 200 + trial);
        // Channel 2 has gradients that pool to exactly 0 and activations of exactly 0 in image 1, so a
        // bad value there meets a zero factor (0·Inf = NaN must still surface).
        for (let p = 0; p < n * h * w; p++) G[p * c + 2] = p % 2 ? 0.5 : -0.5;
        for (let p = h * w; p < n * h * w; p++) A[p * c + 2] = 0;
        const W = rand(c * 3, 300 + trial);
        W[2 * 3 + 1] = 0;
        const target = (trial % 2 === 0 || method === 'CAM') ? 'activations' : 'gradients';
        const bad = [NaN, Infinity, -Infinity][trial % 3];
        const at = trial < 6 ? (h * w + trial) * c + 2 : (trial * 7919) % len;
        (target === 'activations' ? A : G)[at] = bad;
        const x = { activations: { data: A, shape }, gradients: { data: G, shape }, classifierWeights: { data: W, shape: [c, 3] }, classIndex: 1 };
        expect(() => computeCamSync(rt, method, x), `${method} ${target}[${at}] = ${bad}`).toThrow(new RegExp(`${target} holds ${String(bad).replace('+', '')} at index ${at}`));
      }
    }
  });

  it('out: the maps land in the caller\'s array (same values as a fresh one); a wrong type, length or a kernel-memory view is refused before any work', async () => {
    const rt = await getRuntime();
    const shape = [2, 4, 4, 3];
    const x = { activations: { data: rand(96, 7, 0, 1), shape }, gradients: { data: rand(96, 8), shape } };
    const fresh = computeCamSync(rt, 'GradCAM', x, { outputSize: [9, 11] });
    const out = new Float32Array(2 * 9 * 11).fill(-5);
    const r = computeCamSync(rt, 'GradCAM', x, { outputSize: [9, 11], out });
    expect(r.map).toBe(out);
    expect(out).toEqual(fresh.map);
    const arena0 = rt.arena.byteLength;
    expect(() => computeCamSync(rt, 'GradCAM', x, { outputSize: [9, 11], out: new Float32Array(197) })).toThrow(/out has 197 values; the maps need 2×9×11 = 198/);
    expect(() => computeCamSync(rt, 'GradCAM', x, { outputSize: [9, 11], out: new Float64Array(198) as unknown as Float32Array })).toThrow(/out must be a Float32Array/);
    const view = rt.arena.take([198]).f[0];
    expect(() => computeCamSync(rt, 'GradCAM', x, { outputSize: [9, 11], out: view })).toThrow(/view of camkit's kernel memory/);
    expect(rt.arena.byteLength).toBe(arena0);
  });

  it('finite inputs whose products overflow float32: E_NONFINITE, never a NaN map', async () => {
    const shape = [1, 4, 4, 3];
    const A = new Float32Array(48).map((_, i) => ((i % 5) * 1e30) / 4), G = new Float32Array(48).map((_, i) => ((i % 3) - 1) * 1e30);
    for (const method of ['GradCAM', 'GradCAMPlusPlus', 'XGradCAM', 'LayerCAM', 'HiResCAM']) {
      await rejects(() => computeCam(method, { activations: { data: A, shape }, gradients: { data: G, shape } }), InputError, 'E_NONFINITE', /map overflows float32 .*scale them down/, false);
    }
    // 1e19 still fits: a valid map
    const r = await computeCam('GradCAM', { activations: { data: A.map((v) => v / 1e11), shape }, gradients: { data: G.map((v) => v / 1e11), shape } });
    expect(r.map.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('empty and disposed tensors', async () => {
    const e = tf.zeros([1, 0, 4, 3]), d = t4([1, 4, 4, 3]);
    d.dispose();
    await rejects(() => computeCam('GradCAM', { activations: e, gradients: e }), InputError, 'E_EMPTY', /activations is empty \(shape \[1, 0, 4, 3\]\)/);
    await rejects(() => computeCam('EigenCAM', { activations: d }), InputError, 'E_DISPOSED', /activations is a disposed tensor/);
    e.dispose();
  });

  it('sizes past the memory maximum: E_MEMORY before any value is read', async () => {
    // A duck-typed tensor whose data() must never run: the size check only needs the shape.
    let reads = 0;
    const huge = { shape: [8, 224, 224, 512], dtype: 'float32', isDisposed: false, data: async () => (reads++, new Float32Array(0)) };
    // Grad-CAM holds one input-sized buffer (gradients are pooled before the activations are copied over them).
    const e = await rejects(() => computeCam('GradCAM', { activations: huge, gradients: huge }), MemoryLimitError, 'E_MEMORY', /needs 78\d\.\d MiB.*maximum of 32\.0 MiB.*maxMemoryBytes/);
    expect(reads).toBe(0);
    expect(e.message).not.toMatch(/\n/);
    // post-processing buffers count too: a tiny layer resized to a huge output
    const a = t4([1, 2, 2, 1]);
    await rejects(() => computeCam('GradCAM', { activations: a, gradients: a }, { outputSize: [4096, 4096] }), MemoryLimitError, 'E_MEMORY', /maximum/);
    a.dispose();
  });

  it('unknown method and option names suggest the nearest valid names', async () => {
    const a = t4([1, 4, 4, 3]);
    const e = (await rejects(() => computeCam('GradCam+', { activations: a, gradients: a }), NameError, 'E_UNKNOWN_NAME', /Unknown method 'GradCam\+'\. Did you mean 'GradCAM'/)) as NameError;
    expect(e.suggestions).toContain('GradCAM');
    await rejects(() => computeCam('GradCAM', { activations: a, gradients: a }, { resize: 'bicubik' as never }), NameError, 'E_UNKNOWN_NAME', /bicubik/);
    await rejects(() => computeCam('GuidedBackprop', { activations: a, gradients: a }), NameError, 'E_UNKNOWN_NAME', /explain\(\) from camkit\/capture/);
    a.dispose();
  });

  it('a target class out of range', async () => {
    const a = t4([2, 4, 4, 3]), W = t4([1, 1, 3, 5]).reshape([3, 5]);
    await rejects(() => computeCam('CAM', { activations: a, classifierWeights: W, classIndex: 5 }), ModelError, 'E_TARGET', /classIndex 5 is out of range for 5 classes/);
    await rejects(() => computeCam('CAM', { activations: a, classifierWeights: W, classIndex: [0, 1, 2] }), ModelError, 'E_TARGET', /one per image \(2\)/);
    tf.dispose([a, W]);
    expect((await getRuntime()).arena.byteLength).toBe(arena0);
  });
});

describe('init and runtimes', () => {
  it('bad init options; a ceiling past wasm32 keeps the wasm kernels, capped at 4 GiB', async () => {
    await rejects(() => init({ kernels: 'gpu' as never }), NameError, 'E_UNKNOWN_NAME', /Unknown kernels choice 'gpu'/);
    await rejects(() => init({ maxMemoryBytes: 1000 }), CamkitError, 'E_INIT', /maxMemoryBytes must be a finite number of bytes ≥ 65536, got 1000/);
    await rejects(() => init({ maxMemoryBytes: NaN }), CamkitError, 'E_INIT', /got NaN/);
    // 8 GiB used to fail WebAssembly.Memory and fall back to the TypeScript kernels
    const { createRuntime } = await import('../../src/runtime/init.js');
    const rt = await createRuntime('simd', 8 * 2 ** 30);
    expect(rt.flavor).toBe('simd');
    expect(() => rt.arena.check([2 ** 31])).toThrow(/maximum of 4096\.0 MiB/);
  });
});

describe('explain (camkit/capture)', () => {
  let m: tf.LayersModel;
  let x: tf.Tensor4D;
  beforeAll(() => {
    m = sequentialModel();
    x = randomInput(2);
  });
  afterAll(() => {
    x.dispose();
    m.dispose();
  });

  it('bad inputs: rank, dtype, empty, disposed', async () => {
    const x3 = tf.zeros([12, 16, 3]), xi = tf.zeros([1, 12, 16, 3], 'int32'), xe = tf.zeros([0, 12, 16, 3]), xd = randomInput(1);
    xd.dispose();
    await rejects(() => explain(m, x3 as tf.Tensor), InputError, 'E_SHAPE', /\[N, H, W, C\], got \[12, 16, 3\]/);
    await rejects(() => explain(m, xi), InputError, 'E_DTYPE', /float32, got int32/);
    await rejects(() => explain(m, xe), InputError, 'E_EMPTY', /empty/);
    await rejects(() => explain(m, xd), InputError, 'E_DISPOSED', /disposed/);
    tf.dispose([x3, xi, xe]);
    expect((await getRuntime()).arena.byteLength).toBe(arena0);
  });

  it('unknown method and layer suggest the nearest names', async () => {
    const e = (await rejects(() => explain(m, x, { method: 'ScoreKAM' }), NameError, 'E_UNKNOWN_NAME', /Unknown method 'ScoreKAM'\. Did you mean 'ScoreCAM'/)) as NameError;
    expect(e.suggestions[0]).toBe('ScoreCAM');
    const l = (await rejects(() => explain(m, x, { layer: 's_conv22' }), NameError, 'E_UNKNOWN_NAME', /Unknown layer 's_conv22'\. Did you mean 's_conv2'/)) as NameError;
    expect(l.message).toMatch(/Valid: .*s_conv1/);
    await rejects(() => explain(m, x, { fuse: 'median' as never, layers: ['s_conv1', 's_conv2'] }), NameError, 'E_UNKNOWN_NAME', /Unknown fuse mode 'median'.*mean, max-tanh/);
  });

  it('targets out of range, for gradient and perturbation methods', async () => {
    await rejects(() => explain(m, x, { target: 4 }), ModelError, 'E_TARGET', /Target class 4 is out of range \[0, 4\)/);
    await rejects(() => explain(m, x, { method: 'ScoreCAM', target: 7 }), ModelError, 'E_TARGET', /out of range/);
    await rejects(() => explain(m, x, { method: 'ScoreCAM', target: { topK: 2 } }), ModelError, 'E_TARGET', /one class per image/);
    await rejects(() => explain(m, x, { target: [0] }), ModelError, 'E_TARGET', /1 target classes for a batch of 2/);
  });

  // was silently truncated per batch chunk until 2aa1dd3
  it('a per-sample target list longer than the batch', async () => {
    await rejects(() => explain(m, x, { target: [0, 1, 2] }), ModelError, 'E_TARGET', /3 target classes for a batch of 2/);
  });

  it('NaN in the input: E_NONFINITE from the captured tensors, nothing leaked; zero on request', async () => {
    const v = rand(12 * 16 * 3, 5, 0, 1);
    v[40] = NaN;
    const xn = tf.tensor4d(v, [1, 12, 16, 3]);
    await rejects(() => explain(m, xn, { target: 0 }), InputError, 'E_NONFINITE', /NaN.*nonFinite: 'zero'/);
    const before = tf.memory().numTensors;
    const r = await explain(m, xn, { target: 0, nonFinite: 'zero' });
    expect(r.map.every((q) => q >= 0 && q <= 1)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    xn.dispose();
  });

  it('a layer with no gradient path to the score', async () => {
    // The hooked tensor is computed but the output does not use it.
    const fn = (inp: tf.Tensor, hook?: (n: string, t: tf.Tensor) => tf.Tensor) => {
      const side = tf.relu(inp);
      if (hook) hook('side', side);
      return tf.reshape(tf.mean(inp, [1, 2]), [inp.shape[0]!, 3]);
    };
    await rejects(() => explain(fn, x, { layer: 'side', target: 0 }), ModelError, 'E_MODEL', /'side': the score does not depend on this layer \(no gradient path/, false);
  });

  it('a LayersModel layer off the path to the output', async () => {
    const inp = tf.input({ shape: [12, 16, 3] });
    const used = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'used' }).apply(inp) as tf.SymbolicTensor;
    tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'dead' }).apply(inp);
    const out = tf.layers.dense({ units: 3 }).apply(tf.layers.globalAveragePooling2d({}).apply(used)) as tf.SymbolicTensor;
    const dm = tf.model({ inputs: inp, outputs: out });
    // tf.model() keeps only the layers between input and output: the dead branch is no layer of it
    await rejects(() => explain(dm, x, { layer: 'dead', target: 0 }), NameError, 'E_UNKNOWN_NAME', /Unknown layer 'dead'\. Valid: used, /);
    dm.dispose();
  });

  it('an async-only GraphModel', async () => {
    const g = await dynamicGraphModel();
    const x1 = randomInput(1);
    await rejects(() => explain(g, x1, { layer: 'input', target: (o) => o }), ModelError, 'E_MODEL', /needs executeAsync.*cannot be differentiated/, false);
    x1.dispose();
  });

  it('a not-a-model and a model past the memory maximum of the given runtime', async () => {
    await rejects(() => explain({} as tf.LayersModel, x), ModelError, 'E_MODEL', /Expected a tf\.LayersModel/);
    const { createRuntime } = await import('../../src/runtime/init.js');
    const small = await createRuntime('simd', 2 * 65536);
    const before = small.arena.byteLength;
    await rejects(() => explain(m, x, { runtime: small, target: 0, size: [512, 512] }), MemoryLimitError, 'E_MEMORY', /maximum of 131072 B/);
    expect(small.arena.byteLength).toBe(before);
    // refused before the model runs: a function model counts its calls
    let runs = 0;
    const fn = (t: tf.Tensor) => (runs++, tf.reshape(tf.mean(t, [1, 2]), [t.shape[0]!, 3]));
    await rejects(() => explain(fn, x, { runtime: small, layer: 'input', target: 0, size: [4096, 4096] }), MemoryLimitError, 'E_MEMORY', /maximum/);
    expect(runs).toBe(0);
  });
});

describe('render', () => {
  const map: CamMap = { width: 4, height: 3, values: new Float32Array(12).fill(0.5) };
  const image = { width: 8, height: 6, data: new Uint8ClampedArray(8 * 6 * 4) };

  it('unknown colormap, bad sizes and values, past the memory maximum', async () => {
    const e = (await rejects(() => renderOverlay(map, image, { colormap: 'jett' as never }), NameError, 'E_UNKNOWN_NAME', /Unknown colormap 'jett'\. Did you mean 'jet'/)) as NameError;
    expect(e.suggestions).toEqual(['jet']);
    await rejects(() => renderHeatmap({ ...map, values: new Float32Array(11) }), InputError, 'E_SHAPE', /width·height = 12 values, got 11/);
    await rejects(() => renderHeatmap(map, { width: 0, height: 5 }), InputError, 'E_EMPTY', /empty/);
    await rejects(() => renderHeatmap(map, { width: 1e6, height: 5 }), InputError, 'E_SHAPE', /\[1, 16384\]/);
    await rejects(() => renderOverlay(map, { ...image, data: new Uint8ClampedArray(10) }), InputError, 'E_SHAPE', /image\.data must hold/);
    await rejects(() => renderOverlay(map, image, { opacity: NaN }), OptionError, 'E_OPTION', /opacity/);
    await rejects(() => renderHeatmap(map, { width: 16384, height: 16384 }), MemoryLimitError, 'E_MEMORY', /maximum of 32\.0 MiB/);
    expect((await getRuntime()).arena.byteLength).toBe(arena0);
  });

  it('corrupt map files', async () => {
    await rejects(() => parseMapJson('{"format": "camkit-map/1", "width": 2'), FileError, 'E_FILE', /does not parse/);
    await rejects(() => parseMapJson('{"format": "other"}'), FileError, 'E_FILE', /Not a camkit map/);
    const png = await encodePng({ width: 4, height: 3, color: 'gray', bitDepth: 8, data: new Uint8Array(12) });
    await rejects(() => readMap(png.subarray(0, png.length - 20)), FileError, 'E_FILE', /truncated|corrupt/);
    const bad = Uint8Array.from(png);
    bad[20] ^= 0xff; // inside IHDR: CRC mismatch
    await rejects(() => readMap(bad), FileError, 'E_FILE', /bad CRC/);
    // a zlib bomb: a 1×1 gray map whose IDAT inflates to 64 MiB (about 64 KB on disk)
    const { deflateSync } = await import('node:zlib');
    const bomb = Uint8Array.from(await encodePng({ width: 1, height: 1, color: 'gray', bitDepth: 8, data: new Uint8Array(1) }));
    const idat = deflateSync(new Uint8Array(64 << 20));
    const at = Buffer.from(bomb).indexOf('IDAT') - 4;
    const end = at + 12 + new DataView(bomb.buffer).getUint32(at);
    const chunk = new Uint8Array(12 + idat.length);
    const dv = new DataView(chunk.buffer);
    dv.setUint32(0, idat.length);
    chunk.set(Buffer.from('IDAT'), 4);
    chunk.set(idat, 8);
    dv.setUint32(8 + idat.length, crc32(chunk.subarray(4, 8 + idat.length)));
    const file = new Uint8Array([...bomb.subarray(0, at), ...chunk, ...bomb.subarray(end)]);
    expect(file.length).toBeLessThan(100_000);
    await rejects(() => readMap(file), FileError, 'E_FILE', /corrupt or truncated \(zlib: .*(larger|exceed|maxOutputLength|buffer)/i);
  });
});

// ---------------------------------------------------------------------------------------------
// CLIs

/** main() of the camkit CLI in this process, with stderr/stdout captured. */
async function cli(args: string[]) {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  try {
    return { code: await camkitMain(args), stderr: err.join(''), stdout: out.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

/** Exit ≠ 0, one stderr line matching `msg`, no stack, and nothing in or next to --out. */
function cliFailed(r: { code: number | null; stderr: string }, msg: RegExp, out: string): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(msg);
  expect(r.stderr).not.toMatch(/^\s+at |Error:|\.ts:\d+/m);
  expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  expect(readdirSync(resolve(out, '..')).filter((f) => f.includes('.tmp-'))).toEqual([]);
}

describe('camkit CLI: bad images and model files', () => {
  const dir = join(work, 'cli');
  const out = join(dir, 'out');
  const model = join(dir, 'model');
  const img = join(dir, 'ok.png');
  beforeAll(async () => {
    mkdirSync(model, { recursive: true });
    // A real LayersModel on disk (12×16×3 input, 4 classes).
    const m = sequentialModel();
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        writeFileSync(join(model, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
        writeFileSync(join(model, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    m.dispose();
    const rgba = new Uint8Array(16 * 12 * 4).map((_, i) => (i * 37) & 255);
    writeFileSync(img, await encodePng({ width: 16, height: 12, color: 'rgba', bitDepth: 8, data: rgba }));
    const jpg = jpeg.encode({ width: 16, height: 12, data: Buffer.from(rgba) }, 90).data;
    writeFileSync(join(dir, 'truncated.jpg'), jpg.subarray(0, 40));
    const png = readFileSync(img);
    writeFileSync(join(dir, 'corrupt.png'), Buffer.concat([png.subarray(0, 40), Buffer.alloc(30, 7)]));
    writeFileSync(join(dir, 'image.gif'), Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
    writeFileSync(join(dir, 'image.tif'), Buffer.from('II*\x00\x08\x00\x00\x00\x00\x00', 'latin1'));
    mkdirSync(join(dir, 'no-images'), { recursive: true });
    writeFileSync(join(dir, 'empty.png'), new Uint8Array(0));
    // decompression bombs: small files whose headers claim 10000×10000 (100 MP, over the 64 MP limit)
    const big = Buffer.from(png);
    big.writeUInt32BE(10000, 16);
    big.writeUInt32BE(10000, 20);
    big.writeUInt32BE(crc32(big.subarray(12, 29)) >>> 0, 29); // IHDR stays valid
    writeFileSync(join(dir, 'bomb.png'), big);
    const jb = Buffer.from(jpeg.encode({ width: 16, height: 12, data: Buffer.from(rgba) }, 90).data);
    const sof = jb.indexOf(Buffer.from([0xff, 0xc0]));
    jb.writeUInt16BE(10000, sof + 5);
    jb.writeUInt16BE(10000, sof + 7);
    writeFileSync(join(dir, 'bomb.jpg'), jb);
    const bad = (name: string, files: Record<string, string | Uint8Array>) => {
      mkdirSync(join(dir, name), { recursive: true });
      for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, name, f), v);
    };
    const json = readFileSync(join(model, 'model.json'), 'utf8');
    const weights = readFileSync(join(model, 'weights.bin'));
    bad('badjson', { 'model.json': json.slice(0, json.length / 2) });
    bad('notmodel', { 'model.json': '{"hello": 1}' });
    bad('noshard', { 'model.json': json });
    bad('shortweights', { 'model.json': json, 'weights.bin': weights.subarray(0, 100) });
    bad('badclass', { 'model.json': json.replace('"Conv2D"', '"Conv9D"'), 'weights.bin': weights });
  });

  const cases: Array<[string, () => string[], RegExp]> = [
    ['a truncated JPEG', () => [join(dir, 'truncated.jpg')], /^camkit: Cannot decode .*truncated\.jpg: corrupt or unsupported JPEG/],
    ['a corrupt PNG', () => [join(dir, 'corrupt.png')], /^camkit: Cannot decode .*corrupt\.png: corrupt or unsupported PNG/],
    ['a corrupt GIF', () => [join(dir, 'image.gif')], /^camkit: Cannot decode .*image\.gif: corrupt or unsupported GIF/],
    ['an unsupported format (TIFF)', () => [join(dir, 'image.tif')], /^camkit: Unsupported image format: .*image\.tif \(camkit reads PNG, JPEG, GIF, BMP and WebP\)/],
    ['an empty file', () => [join(dir, 'empty.png')], /^camkit: Unsupported image format/],
    ['a PNG header claiming 10000×10000', () => [join(dir, 'bomb.png')], /^camkit: .*bomb\.png is too large \(10000×10000\); camkit reads images up to 64 megapixels/],
    ['a JPEG header claiming 10000×10000', () => [join(dir, 'bomb.jpg')], /^camkit: Cannot decode .*bomb\.jpg: corrupt or unsupported JPEG \(maxResolutionInMP/],
    ['a folder without images', () => [join(dir, 'no-images')], /^camkit: No images in .*no-images/],
    ['a target class out of range', () => [img, '--target', '9'], /^camkit: Target class 9 is out of range \[0, 4\)/],
    ['an unknown layer', () => [img, '--layer', 's_conv22'], /^camkit: Unknown layer 's_conv22'\. Did you mean 's_conv2'/],
    ['an unknown backend', () => [img, '--backend', 'wasmm'], /^camkit: Unknown backend 'wasmm'\. Did you mean 'wasm'/],
    ['an unknown colormap', () => [img, '--colormap', 'viridus'], /^camkit: Unknown colormap 'viridus'\. Did you mean 'viridis'/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, async () => {
      cliFailed(await cli(['explain', '--model', model, '--backend', 'cpu', '--out', out, ...args()]), msg, out);
    });
  }

  const models: Array<[string, string, RegExp]> = [
    ['truncated model.json', 'badjson', /^camkit: Cannot parse .*model\.json/],
    ['a JSON file that is no tfjs model', 'notmodel', /not a TensorFlow\.js model\.json/],
    ['a missing weight shard', 'noshard', /Missing weight shard .*weights\.bin/],
    ['truncated weights', 'shortweights', /^camkit: Cannot build the model in .*model\.json/],
    ['an unsupported layer class', 'badclass', /^camkit: Cannot build the model .*Conv9D/],
    ['no model at all', 'nothing-here', /^camkit: No model at /],
  ];
  for (const [what, name, msg] of models) {
    it(`model file: ${what}`, async () => {
      cliFailed(await cli(['explain', img, '--model', join(dir, name), '--backend', 'cpu', '--out', out]), msg, out);
    });
  }

  it('as a real process: exit code 1, one line, no stack (corrupt model file)', () => {
    const r = spawnSync(process.execPath, [TSX, join(ROOT, 'src/cli/camkit.ts'), 'explain', img, '--model', join(dir, 'badjson'), '--out', out], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    cliFailed({ code: r.status, stderr: r.stderr }, /^camkit: Cannot parse .*model\.json/, out);
    expect(r.stdout).toBe('');
  });
});

describe('conformance CLI: unreadable or malformed files', () => {
  const dir = join(work, 'conf');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    // A real file cut mid-way: the common failure of an interrupted download.
    const fd = readFileSync(GOLDEN, 'utf8');
    writeFileSync(join(dir, 'truncated.json'), fd.slice(0, 5000));
    writeFileSync(join(dir, 'noschema.json'), '{"cases": []}');
    writeFileSync(join(dir, 'badcase.json'), '{"schema": "gradcam-golden/1", "cases": [{"id": "x", "activations": {"shape": [1, 2, 2, 1], "values": [1, 2, "3", 4]}, "methods": {}}]}');
    writeFileSync(join(dir, 'binary.json'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  });

  async function conf(args: string[]) {
    const out: string[] = [], err: string[] = [];
    const code = await conformanceCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  }

  const cases: Array<[string, () => string[], RegExp]> = [
    ['a missing file', () => [join(dir, 'missing.json')], /cannot read .*missing\.json/],
    ['a directory', () => [dir], /cannot read .*EISDIR/],
    ['a truncated file', () => [join(dir, 'truncated.json')], /is not valid JSON/],
    ['a binary file', () => [join(dir, 'binary.json')], /is not valid JSON/],
    ['no schema', () => [join(dir, 'noschema.json')], /has schema undefined, expected one of "gradcam-golden\/1", "gradcam-golden\/2"/],
    ['a malformed case', () => [join(dir, 'badcase.json')], /activations|non-numbers|values/],
    ['an unknown backend', () => [GOLDEN, '--backend', 'webgl'], /Unknown backend 'webgl'/],
    ['an unknown kernels choice', () => [GOLDEN, '--kernels', 'simdd'], /Unknown kernels choice 'simdd'\. Did you mean 'simd'/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, async () => {
      const before = tf.memory().numTensors;
      const r = await conf(args());
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^conformance: /);
      expect(r.err[0]).toMatch(msg);
      expect(r.err[0]).not.toMatch(/\n|^\s+at |\(.*\.ts:\d+/m);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('as a real process: exit code 2, one stderr line, nothing on stdout', () => {
    const r = spawnSync(process.execPath, [TSX, join(ROOT, 'src/cli/conformance-main.ts'), join(dir, 'truncated.json')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^conformance: .*truncated\.json is not valid JSON/);
    expect(r.stderr).not.toMatch(/^\s+at |\(.*\.ts:\d+/m);
  });
});
