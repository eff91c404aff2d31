// Every benchmark row: workload × implementation. Names are fixed by the "Benchmarks" issue; kernel rows
// are named after their kernel file. camkit rows use private runtimes of each flavor (createRuntime),
// tfjs rows start from tensors already on the backend. Each row checks its result against the js row's.
import { createRuntime, type Runtime } from '../src/runtime/init.js';
import type { KernelFlavor } from '../src/kernels/types.js';
import type { KernelSet } from '../src/kernels/registry.js';
import { scorecamMasksTmp } from '../src/kernels/scorecam_masks.js';
import { computeCamSync } from '../src/compute.js';
import { checkFinite } from '../src/core/inputs.js';
import { DEFAULT_METHOD } from '../src/methods/registry.js';
import { expectClose, rand, validateCases, type Case, type Impl, type Prepared } from './harness.js';
import { memcpyBench } from './memcpy.js';
import { tfWasmHeapBytes, useBackend, type Backend, type Tf } from './tf.js';
import { modelCases } from './models.js';
import { kernelCases } from './kernels.js';
import { renderCases } from './render.js';

const F = 4;
const MiB = 1 << 20;
/** The 1024² rows and the memcpy ceiling they are judged against are sampled together. */
const BANDWIDTH = 'bandwidth-1024';
/** A fresh runtime per row, so its wasm memory size is this row's peak (compiled modules are cached). */
export const runtime = (f: KernelFlavor): Promise<Runtime> => createRuntime(f, 1 << 30);
const FLAVORS: KernelFlavor[] = ['simd', 'scalar', 'js'];
const camkitWasmBytes = (rt: Runtime) => () => (rt.flavor === 'js' ? 0 : rt.arena.byteLength);
const tfBackendOf = (impl: Impl): Backend => (impl === 'tfjs-cpu' ? 'cpu' : 'wasm');


// ---------------------------------------------------------------- reference results (plain JS, float64)

/** pytorch-grad-cam's Grad-CAM on one image: relu(Σ_c mean(G_c)·A_c) → scale → half-pixel resize → scale. */
export function refGradcamPost(a: Float32Array, g: Float32Array, h: number, w: number, c: number, H: number, W: number): Float32Array {
  const hw = h * w;
  const wt = new Float64Array(c);
  for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) wt[k] += g[p * c + k];
  for (let k = 0; k < c; k++) wt[k] /= hw;
  const cam = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += wt[k] * a[p * c + k];
    cam[p] = Math.max(s, 0);
  }
  const up = resizeRef(cam, h, w, H, W);
  return Float32Array.from(scaleRef(up));
}

function scaleRef(x: ArrayLike<number>): Float64Array {
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < x.length; i++) mn = Math.min(mn, x[i]);
  const out = Float64Array.from(x, (v) => v - mn);
  for (let i = 0; i < out.length; i++) mx = Math.max(mx, out[i]);
  for (let i = 0; i < out.length; i++) out[i] /= 1e-7 + mx;
  return out;
}

/** Half-pixel-centre bilinear resize (cv2 INTER_LINEAR, tf resizeBilinear(halfPixelCenters)). */
export function resizeRef(x: ArrayLike<number>, h: number, w: number, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W);
  const src = (i: number, n: number, N: number) => Math.min(Math.max((i + 0.5) * (n / N) - 0.5, 0), n - 1);
  for (let i = 0; i < H; i++) {
    const sy = src(i, h, H), y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h - 1), fy = sy - y0;
    for (let j = 0; j < W; j++) {
      const sx = src(j, w, W), x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w - 1), fx = sx - x0;
      const top = x[y0 * w + x0] * (1 - fx) + x[y0 * w + x1] * fx;
      const bot = x[y1 * w + x0] * (1 - fx) + x[y1 * w + x1] * fx;
      out[i * W + j] = top * (1 - fy) + bot * fy;
    }
  }
  return out;
}

// ---------------------------------------------------------------- tfjs helpers

async function tfRow(impl: Impl, build: (tf: Tf) => Prepared): Promise<Prepared> {
  const tf = await useBackend(tfBackendOf(impl));
  const before = tf.memory().numTensors;
  const p = build(tf);
  return {
    ...p,
    wasmBytes: () => (impl === 'tfjs-cpu' ? 0 : tfWasmHeapBytes(tf)),
    dispose: () => {
      p.dispose?.();
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) console.warn(`  warning: this row left ${leaked} tensors behind`);
    },
  };
}

/**
 * The fastest of several tfjs formulations: interleaved short timing rounds, best round per formulation
 * (the minimum resists other tenants' noise), so the choice does not depend on which one ran first.
 */
function pickFastest(forms: Record<string, () => { dispose(): void }>): string {
  const best = new Map<string, number>();
  for (const f of Object.values(forms)) for (let i = 0; i < 3; i++) f().dispose();
  for (let round = 0; round < 5; round++) {
    for (const [name, f] of Object.entries(forms)) {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < 15) (f().dispose(), n++);
      const t = (performance.now() - t0) / n;
      best.set(name, Math.min(best.get(name) ?? Infinity, t));
    }
  }
  return [...best.entries()].sort((a, b) => a[1] - b[1])[0][0];
}

// ---------------------------------------------------------------- gradcam-post

const POST_SHAPES: [number, number, number][] = [[14, 14, 512], [7, 7, 1280], [7, 7, 2048], [8, 8, 2048]];
const OUT = 224;

function postInputs(h: number, w: number, c: number) {
  // Activations after a ReLU are ≥ 0; gradients of either sign. Seeds fixed per shape.
  return { a: rand(h * w * c, 11 + c, 0, 1), g: rand(h * w * c, 23 + c, -1, 1) };
}

/**
 * Grad-CAM post-processing for one image through the facade itself: computeCamSync (validation, copies
 * into kernel memory, pool_mean, channel_wsum, the low-res scan, ReLU and min-max at layer size, fused
 * resize + min-max, copy out) with the map written into the caller's `map` (the `out` option; a fresh
 * 224² Float32Array would add V8's ~13 µs allocation, see the gradcam-post-facade rows).
 */
export function kernelGradcamPost(rt: Runtime, a: Float32Array, g: Float32Array, h: number, w: number, c: number, O: number, map: Float32Array): Float32Array {
  const x = { activations: { data: a, shape: [1, h, w, c] }, gradients: { data: g, shape: [1, h, w, c] } };
  return computeCamSync(rt, DEFAULT_METHOD, x, { outputSize: [O, O], out: map }).map;
}

function gradcamPostCases(): Case[] {
  const cases: Case[] = [];
  for (const [h, w, c] of POST_SHAPES) {
    const workload = `gradcam-post/${h}x${w}x${c}`;
    const bytes = 2 * h * w * c * F + OUT * OUT * F;
    const inputs = postInputs(h, w, c);
    let ref: Float32Array | null = null;
    const want = () => (ref ??= refGradcamPost(inputs.a, inputs.g, h, w, c, OUT, OUT));
    for (const flavor of FLAVORS) {
      cases.push({
        workload, impl: flavor, bytes,
        prepare: async () => {
          const rt = await runtime(flavor);
          const map = new Float32Array(OUT * OUT);
          const run = () => void kernelGradcamPost(rt, inputs.a, inputs.g, h, w, c, OUT, map);
          return {
            run,
            check: () => expectClose(`${workload} ${flavor}`, map, want(), 1e-4, true),
            wasmBytes: camkitWasmBytes(rt),
            note: 'computeCamSync, map into a caller array (out option)',
          };
        },
      });
      // The same work through the public facade, with whatever validation and result arrays it adds.
      cases.push({
        workload: `gradcam-post-facade/${h}x${w}x${c}`, impl: flavor, bytes,
        prepare: async () => {
          const rt = await runtime(flavor);
          const x = { activations: { data: inputs.a, shape: [1, h, w, c] }, gradients: { data: inputs.g, shape: [1, h, w, c] } };
          let map: Float32Array | null = null;
          const run = () => void (map = computeCamSync(rt, DEFAULT_METHOD, x, { outputSize: [OUT, OUT] }).map);
          return {
            run,
            check: () => expectClose(`gradcam-post-facade/${h}x${w}x${c} ${flavor}`, map!, want(), 1e-4, true),
            wasmBytes: camkitWasmBytes(rt),
            note: 'computeCamSync',
          };
        },
      });
    }
    for (const impl of ['tfjs-wasm', 'tfjs-wasm-best', 'tfjs-cpu'] as const) {
      cases.push({
        workload, impl, bytes,
        prepare: () =>
          tfRow(impl, (tf) => {
            const A = tf.tensor4d(inputs.a, [1, h, w, c]);
            const G = tf.tensor4d(inputs.g, [1, h, w, c]);
            let map: Float32Array | null = null;
            const scale = (up: TF4) => {
              const mn = tf.min(up);
              const d = tf.sub(up, mn);
              return tf.div(d, tf.add(tf.max(d), 1e-7));
            };
            type TF4 = ReturnType<Tf['tensor4d']>;
            // Natural ops, as a tfjs user writes Grad-CAM (and as the official example does, minus gather).
            const natural = () =>
              tf.tidy(() => {
                const wt = tf.mean(G, [0, 1, 2]);
                const cam = tf.relu(tf.sum(tf.mul(A, wt), -1, true)) as TF4;
                return scale(tf.image.resizeBilinear(cam, [OUT, OUT], false, true));
              });
            let run: () => void;
            let note: string | undefined;
            if (impl !== 'tfjs-wasm-best') {
              run = () => {
                const t = natural();
                map = t.dataSync() as Float32Array;
                t.dispose();
              };
            } else {
              // The fastest formulations found: pooling and weighted sum as matMuls (XNNPACK), tried here and the
              // fastest kept, because which one wins depends on the shape.
              const A2 = tf.reshape(A, [h * w, c]);
              const G2 = tf.reshape(G, [h * w, c]);
              const onesRow = tf.fill([1, h * w], 1 / (h * w));
              const onesCol = tf.fill([h * w, 1], 1 / (h * w));
              const tail = (cam: ReturnType<Tf['matMul']>) =>
                scale(tf.image.resizeBilinear(tf.reshape(tf.relu(cam), [1, h, w, 1]) as TF4, [OUT, OUT], false, true));
              const forms: Record<string, () => ReturnType<Tf['tensor']>> = {
                'matMul(1/hw,G)·matMul(A,wᵀ)': () => tf.tidy(() => tail(tf.matMul(A2, tf.matMul(onesRow, G2), false, true))),
                'matMul(Gᵀ,1/hw)·matMul(A,w)': () => tf.tidy(() => tail(tf.matMul(A2, tf.matMul(G2, onesCol, true, false)))),
                'sum(G,0)/hw·matMul(A,w)': () => tf.tidy(() => tail(tf.matMul(A2, tf.reshape(tf.mul(tf.sum(G2, 0), 1 / (h * w)), [c, 1])))),
                'mean·mul·sum (natural)': natural,
              };
              const best = pickFastest(forms);
              note = best;
              const f = forms[best];
              run = () => {
                const t = f();
                map = t.dataSync() as Float32Array;
                t.dispose();
              };
              const extra = [A2, G2, onesRow, onesCol];
              return {
                run, note,
                check: () => expectClose(`${workload} ${impl}`, map!, want(), 1e-4, true),
                dispose: () => tf.dispose([A, G, ...extra]),
              };
            }
            return {
              run, note,
              check: () => expectClose(`${workload} ${impl}`, map!, want(), 1e-4, true),
              dispose: () => tf.dispose([A, G]),
            };
          }),
      });
    }
  }
  return cases;
}

// ---------------------------------------------------------------- kernel rows (data already in kernel memory)

function poolMeanCases(): Case[] {
  const cases: Case[] = [];
  for (const [h, w, c] of [[14, 14, 512], [7, 7, 2048]] as const) {
    const workload = `pool_mean/${h}x${w}x${c}`;
    const hw = h * w;
    const g = rand(hw * c, 5 + c);
    const bytes = (hw * c + c) * F;
    const want = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += g[p * c + k];
      want[k] = s / hw;
    }
    for (const flavor of FLAVORS) {
      cases.push({
        workload, impl: flavor, bytes,
        prepare: async () => {
          const rt = await runtime(flavor);
          const { f: [out, gv] } = rt.arena.take([c, hw * c]);
          gv.set(g);
          return {
            run: () => rt.kernels.pool_mean(out, gv, 1, hw, c),
            check: () => expectClose(`${workload} ${flavor}`, out, want, 1e-5),
            wasmBytes: camkitWasmBytes(rt),
          };
        },
      });
    }
    for (const impl of ['tfjs-wasm', 'tfjs-wasm-best', 'tfjs-cpu'] as const) {
      cases.push({
        workload, impl, bytes,
        prepare: () =>
          tfRow(impl, (tf) => {
            const G = tf.tensor4d(g, [1, h, w, c]);
            const G2 = tf.reshape(G, [hw, c]);
            const ones = tf.fill([1, hw], 1 / hw);
            let out: Float32Array | null = null;
            const op = impl === 'tfjs-wasm-best' ? () => tf.matMul(ones, G2) : () => tf.mean(G, [0, 1, 2]);
            return {
              run: () => op().dispose(),
              check: () => {
                const t = op();
                out = t.dataSync() as Float32Array;
                t.dispose();
                expectClose(`${workload} ${impl}`, out, want, 1e-5);
              },
              note: impl === 'tfjs-wasm-best' ? 'matMul(1/hw, G)' : 'tf.mean(G,[0,1,2])',
              dispose: () => tf.dispose([G, G2, ones]),
            };
          }),
      });
    }
  }
  return cases;
}

// ---------------------------------------------------------------- large kernels (bandwidth-bound at 1024²)

/** A camkit kernel row: buffers planned once in the flavor's arena, inputs copied in outside the clock. */
function camkitKernelCase(
  workload: string, flavor: KernelFlavor, bytes: number, kernel: string,
  setup: (rt: Runtime, k: KernelSet) => Prepared,
): Case {
  return {
    workload, impl: flavor, bytes,
    prepare: async () => {
      const rt = await runtime(flavor);
      return { wasmBytes: camkitWasmBytes(rt), ...setup(rt, rt.kernels) };
    },
  };
}

/** The js flavor's output for a workload, computed once and shared by every row's check. */
function sharedRef<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= f());
}

function upsampleCases(): Case[] {
  const [ih, iw, oh, ow] = [7, 7, 1024, 1024];
  const workload = `upsample/${ih}x${iw}-${oh}x${ow}`;
  const bytes = (ih * iw + oh * ow) * F;
  const x = rand(ih * iw, 77, 0, 1);
  let want: Float32Array | null = null;
  const ref = () => (want ??= Float32Array.from(resizeRef(x, ih, iw, oh, ow)));
  const cases: Case[] = FLAVORS.map((flavor) =>
    camkitKernelCase(workload, flavor, bytes, 'resize_bilinear', (rt, k) => {
      const { f: [out, xv, tmp] } = rt.arena.take([oh * ow, ih * iw, ih * ow]);
      xv.set(x);
      return {
        run: () => k.resize_bilinear(out, xv, tmp, 1, ih, iw, oh, ow, 0),
        check: () => expectClose(`${workload} ${flavor}`, out, ref(), 1e-5),
      };
    }),
  );
  for (const impl of ['tfjs-wasm', 'tfjs-cpu'] as const) {
    cases.push({
      workload, impl, bytes,
      prepare: () =>
        tfRow(impl, (tf) => {
          const X = tf.tensor4d(x, [1, ih, iw, 1]);
          const op = () => tf.image.resizeBilinear(X, [oh, ow], false, true);
          return {
            run: () => op().dispose(),
            check: () => {
              const t = op();
              expectClose(`${workload} ${impl}`, t.dataSync(), ref(), 1e-5);
              t.dispose();
            },
            note: 'resizeBilinear(halfPixelCenters), output left on the backend',
            dispose: () => X.dispose(),
          };
        }),
    });
  }
  for (const c of cases) c.group = BANDWIDTH;
  return cases;
}

function fuseCases(): Case[] {
  const [H, W] = [1024, 1024];
  const N = H * W;
  const workload = `fuse/${H}x${W}x3`;
  const bytes = (3 * N + N + 3 * N) * F;
  const gb = rand(3 * N, 91, -1, 1);
  const cam = rand(N, 92, 0, 1);
  let want: Float32Array | null = null;
  const ref = () => {
    if (!want) {
      want = new Float32Array(3 * N);
      for (let p = 0; p < N; p++) for (let q = 0; q < 3; q++) want[p * 3 + q] = gb[p * 3 + q] * cam[p];
    }
    return want;
  };
  const cases: Case[] = FLAVORS.map((flavor) =>
    camkitKernelCase(workload, flavor, bytes, 'fuse_guided', (rt, k) => {
      const { f: [out, gv, cv] } = rt.arena.take([3 * N, 3 * N, N]);
      gv.set(gb);
      cv.set(cam);
      return {
        run: () => k.fuse_guided(out, gv, cv, 1, N),
        check: () => expectClose(`${workload} ${flavor}`, out, ref(), 0),
      };
    }),
  );
  for (const impl of ['tfjs-wasm', 'tfjs-cpu'] as const) {
    cases.push({
      workload, impl, bytes,
      prepare: () =>
        tfRow(impl, (tf) => {
          const GB = tf.tensor3d(gb, [H, W, 3]);
          const CAM = tf.tensor3d(cam, [H, W, 1]);
          const op = () => tf.mul(GB, CAM);
          return {
            run: () => op().dispose(),
            check: () => {
              const t = op();
              expectClose(`${workload} ${impl}`, t.dataSync(), ref(), 0);
              t.dispose();
            },
            note: 'tf.mul([H,W,3],[H,W,1]), output left on the backend',
            dispose: () => tf.dispose([GB, CAM]),
          };
        }),
    });
  }
  for (const c of cases) c.group = BANDWIDTH;
  return cases;
}

/** A jet-like 256-entry RGBA LUT; the kernel's speed does not depend on the colours. */
function benchLut(): Uint8Array {
  const lut = new Uint8Array(256 * 4);
  const ch = (v: number) => Math.round(255 * Math.min(Math.max(1.5 - Math.abs(v), 0), 1));
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    lut.set([ch(4 * x - 3), ch(4 * x - 2), ch(4 * x - 1), 255], i * 4);
  }
  return lut;
}

function overlayCases(): Case[] {
  const [H, W] = [1024, 1024];
  const N = H * W;
  const workload = `overlay/${H}x${W}`;
  const bytes = N * F + N * 4 + N * 4;
  const map = rand(N, 31, 0, 1);
  const img = new Uint8Array(N * 4);
  const noise = rand(N * 3, 32, 0, 256);
  for (let p = 0; p < N; p++) img.set([noise[3 * p], noise[3 * p + 1], noise[3 * p + 2], 255], p * 4);
  const lut = benchLut();
  const opacity = 0.5;
  // The js flavor's output is the reference (integer blend: every flavor must agree exactly).
  const ref = sharedRef(async () => {
    const out = new Uint8Array(N * 4);
    const k = (await runtime('js')).kernels;
    k.overlay(out, map, img, N, lut, opacity, 0);
    return out;
  });
  let want: Uint8Array | null = null;
  const cases: Case[] = FLAVORS.map((flavor) =>
    camkitKernelCase(workload, flavor, bytes, 'overlay', (rt, k) => {
      const { f: [mv], u: [out, iv, lv] } = rt.arena.take([N], [N * 4, N * 4, 256 * 4]);
      mv.set(map);
      iv.set(img);
      lv.set(lut);
      return {
        run: () => k.overlay(out, mv, iv, N, lv, opacity, 0),
        check: () => expectClose(`${workload} ${flavor}`, out, want!, 0, true),
        note: 'alpha blend, opacity 0.5',
      };
    }),
  );
  cases.push({
    workload, impl: 'tfjs-wasm', bytes,
    prepare: async () => {
      want = await ref();
      return tfRow('tfjs-wasm', (tf) => {
        // As a tfjs user would: LUT gather, integer-exact blend in float32, alpha appended, int32 read back
        // and clamped into RGBA8 (what tf.browser.toPixels does).
        const MAP = tf.tensor2d(map, [H, W]);
        const rgb = new Int32Array(N * 3);
        for (let p = 0; p < N; p++) rgb.set(img.subarray(p * 4, p * 4 + 3), p * 3);
        const IMG = tf.tensor3d(rgb, [H, W, 3], 'int32');
        const lutRgb = new Float32Array(256 * 3);
        for (let i = 0; i < 256; i++) lutRgb.set(lut.subarray(i * 4, i * 4 + 3), i * 3);
        const LUT = tf.tensor2d(lutRgb, [256, 3]);
        const a = Math.trunc(opacity * 256 + 0.5);
        const out = new Uint8ClampedArray(N * 4);
        const op = () =>
          tf.tidy(() => {
            const idx = tf.cast(tf.clipByValue(tf.floor(tf.mul(MAP, 255)), 0, 255), 'int32');
            const col = tf.gather(LUT, idx);
            const mix = tf.add(tf.add(tf.mul(col, a), tf.mul(tf.cast(IMG, 'float32'), 256 - a)), 128);
            const blended = tf.floor(tf.div(mix, 256));
            return tf.cast(tf.concat([blended, tf.fill([H, W, 1], 255)], 2), 'int32');
          });
        return {
          run: () => {
            const t = op();
            out.set(t.dataSync() as Int32Array);
            t.dispose();
          },
          check: () => expectClose(`${workload} tfjs-wasm`, out, want!, 0, true),
          note: 'gather(LUT) + blend + concat alpha + dataSync → Uint8ClampedArray',
          dispose: () => tf.dispose([MAP, IMG, LUT]),
        };
      });
    },
  });
  // camkit rows check against the js flavor's output too.
  for (const c of cases.slice(0, 3)) {
    const prep = c.prepare;
    c.prepare = async () => {
      want = await ref();
      return prep();
    };
  }
  for (const c of cases) c.group = BANDWIDTH;
  return cases;
}

function scorecamMaskCases(): Case[] {
  const [h, w, c, H, W, B] = [14, 14, 512, 224, 224, 32];
  const workload = `scorecam-masks/${h}x${w}x${c}-${H}`;
  const bytes = (h * w * c + H * W * 3 + c * H * W * 3) * F;
  const a = rand(h * w * c, 41, 0, 1);
  const input = rand(H * W * 3, 42, 0, 1);
  // Reference: the js flavor's first batch (the per-flavor agreement itself is test/kernels' job).
  const ref = sharedRef(async () => {
    const out = new Float32Array(B * H * W * 3);
    const k = (await runtime('js')).kernels;
    k.scorecam_masks(out, input, a, new Float32Array(scorecamMasksTmp(h, H, W)), h, w, c, 0, B, H, W, 3, 1, 1);
    return out;
  });
  const cases: Case[] = FLAVORS.map((flavor) => ({
    workload, impl: flavor, bytes,
    prepare: async () => {
      const rt = await runtime(flavor);
      const k = rt.kernels;
      const want = await ref();
      const { f: [out, iv, av, tmp] } = rt.arena.take([B * H * W * 3, H * W * 3, h * w * c, scorecamMasksTmp(h, H, W)]);
      iv.set(input);
      av.set(a);
      let first: Float32Array | null = null;
      return {
        // All 512 masked inputs, one batch of 32 at a time into the same buffer (the model consumes each).
        run: () => {
          for (let k0 = 0; k0 < c; k0 += B) {
            k.scorecam_masks(out, iv, av, tmp, h, w, c, k0, B, H, W, 3, 1, 1);
            if (k0 === 0 && !first) first = Float32Array.from(out);
          }
        },
        check: () => expectClose(`${workload} ${flavor}`, first!, want, 1e-5),
        wasmBytes: camkitWasmBytes(rt),
        note: 'align-corners upsample, batches of 32',
      };
    },
  }));
  cases.push({
    workload, impl: 'tfjs-wasm', bytes,
    prepare: async () => {
      const want = await ref();
      return tfRow('tfjs-wasm', (tf) => {
        const A = tf.tensor4d(a, [1, h, w, c]);
        const X = tf.tensor4d(input, [1, H, W, 3]);
        const batch = (k0: number) =>
          tf.tidy(() => {
            const m = tf.transpose(tf.slice(A, [0, 0, 0, k0], [1, h, w, B]), [3, 1, 2, 0]);
            const up = tf.image.resizeBilinear(m as ReturnType<Tf['tensor4d']>, [H, W], true);
            const mn = tf.min(up, [1, 2, 3], true);
            const mx = tf.max(up, [1, 2, 3], true);
            const norm = tf.div(tf.sub(up, mn), tf.add(tf.sub(mx, mn), 1e-8));
            return tf.mul(norm, X);
          });
        let first: Float32Array | null = null;
        return {
          run: () => {
            for (let k0 = 0; k0 < c; k0 += B) {
              const t = batch(k0);
              if (k0 === 0 && !first) first = t.dataSync() as Float32Array;
              t.dispose();
            }
          },
          check: () => expectClose(`${workload} tfjs-wasm`, first!, want, 1e-5),
          note: 'slice, transpose, resizeBilinear(alignCorners), min/max, mul per batch of 32',
          dispose: () => tf.dispose([A, X]),
        };
      });
    },
  });
  return cases;
}

// ---------------------------------------------------------------- the stages of gradcam-post, one kernel each

/** Where gradcam-post's time goes at 7×7×2048: each stage alone, data already in kernel memory. */
function stageCases(): Case[] {
  const [h, w, c, O] = [7, 7, 2048, OUT];
  const hw = h * w;
  const a = rand(hw * c, 61, 0, 1);
  const wt = rand(c, 62, -0.01, 0.01);
  const lowres = rand(hw, 63, 0, 1);
  const big = rand(O * O, 64, 0, 1);
  const cases: Case[] = [];

  const wsumRef = new Float32Array(hw);
  for (let p = 0; p < hw; p++) {
    let t = 0;
    for (let k = 0; k < c; k++) t += a[p * c + k] * wt[k];
    wsumRef[p] = Math.max(t, 0);
  }
  const wsumW = `channel_wsum/${h}x${w}x${c}`;
  const wsumBytes = (hw * c + c + hw) * F;
  for (const flavor of FLAVORS) {
    cases.push(
      camkitKernelCase(wsumW, flavor, wsumBytes, 'channel_wsum', (rt, k) => {
        const { f: [out, av, wv] } = rt.arena.take([hw, hw * c, c]);
        av.set(a);
        wv.set(wt);
        return {
          run: () => k.channel_wsum(out, av, wv, 1, hw, c, 1),
          check: () => expectClose(`${wsumW} ${flavor}`, out, wsumRef, 1e-5),
          note: 'with ReLU',
        };
      }),
    );
  }
  cases.push({
    workload: wsumW, impl: 'tfjs-wasm-best', bytes: wsumBytes,
    prepare: () =>
      tfRow('tfjs-wasm-best', (tf) => {
        const A2 = tf.tensor2d(a, [hw, c]);
        const Wt = tf.tensor2d(wt, [c, 1]);
        const op = () => tf.tidy(() => tf.relu(tf.matMul(A2, Wt)));
        return {
          run: () => op().dispose(),
          check: () => {
            const t = op();
            expectClose(`${wsumW} tfjs-wasm-best`, t.dataSync(), wsumRef, 1e-5);
            t.dispose();
          },
          note: 'relu(matMul(A, w))',
          dispose: () => tf.dispose([A2, Wt]),
        };
      }),
  });

  const rsW = `resize_bilinear/${h}x${w}-${O}x${O}`;
  const rsBytes = (hw + O * O) * F;
  const rsRef = Float32Array.from(resizeRef(lowres, h, w, O, O));
  for (const flavor of FLAVORS) {
    cases.push(
      camkitKernelCase(rsW, flavor, rsBytes, 'resize_bilinear', (rt, k) => {
        const { f: [out, xv, tmp] } = rt.arena.take([O * O, hw, h * O]);
        xv.set(lowres);
        return {
          run: () => k.resize_bilinear(out, xv, tmp, 1, h, w, O, O, 0),
          check: () => expectClose(`${rsW} ${flavor}`, out, rsRef, 1e-5),
        };
      }),
    );
  }
  cases.push({
    workload: rsW, impl: 'tfjs-wasm', bytes: rsBytes,
    prepare: () =>
      tfRow('tfjs-wasm', (tf) => {
        const X = tf.tensor4d(lowres, [1, h, w, 1]);
        const op = () => tf.image.resizeBilinear(X, [O, O], false, true);
        return {
          run: () => op().dispose(),
          check: () => {
            const t = op();
            expectClose(`${rsW} tfjs-wasm`, t.dataSync(), rsRef, 1e-5);
            t.dispose();
          },
          dispose: () => X.dispose(),
        };
      }),
  });

  const rmW = `resize_bilinear_minmax/${h}x${w}-${O}x${O}`;
  const rmRef = Float32Array.from(scaleRef(resizeRef(lowres, h, w, O, O)));
  for (const flavor of FLAVORS) {
    cases.push(
      camkitKernelCase(rmW, flavor, rsBytes, 'resize_bilinear_minmax', (rt, k) => {
        const { f: [out, xv, tmp] } = rt.arena.take([O * O, hw, 2 * (h + 1) * O + 2 * O]);
        xv.set(lowres);
        return {
          run: () => k.resize_bilinear_minmax(out, xv, tmp, 1, h, w, O, O, 0, 1e-7),
          check: () => expectClose(`${rmW} ${flavor}`, out, rmRef, 1e-5),
          note: 'resize then min-max, fused',
        };
      }),
    );
  }

  const mmW = `minmax_normalize/${O}x${O}`;
  const mmBytes = 2 * O * O * F;
  const mmRef = Float32Array.from(scaleRef(big));
  for (const flavor of FLAVORS) {
    cases.push(
      camkitKernelCase(mmW, flavor, mmBytes, 'minmax_normalize', (rt, k) => {
        const { f: [xv] } = rt.arena.take([O * O]);
        // In place: the timed call includes restoring the input (a 200 KB in-cache copy, ~2 µs).
        return {
          run: () => {
            xv.set(big);
            k.minmax_normalize(xv, 1, O * O, 1e-7);
          },
          check: () => expectClose(`${mmW} ${flavor}`, xv, mmRef, 1e-6, true),
          note: 'in place, input restored each call',
        };
      }),
    );
  }
  cases.push({
    workload: mmW, impl: 'tfjs-wasm', bytes: mmBytes,
    prepare: () =>
      tfRow('tfjs-wasm', (tf) => {
        const X = tf.tensor2d(big, [O, O]);
        const op = () =>
          tf.tidy(() => {
            const d = tf.sub(X, tf.min(X));
            return tf.div(d, tf.add(tf.max(d), 1e-7));
          });
        return {
          run: () => op().dispose(),
          check: () => {
            const t = op();
            expectClose(`${mmW} tfjs-wasm`, t.dataSync(), mmRef, 1e-6, true);
            t.dispose();
          },
          dispose: () => X.dispose(),
        };
      }),
  });

  // The same scan as a kernel over A and G in kernel memory (what the facade could run after copy-in).
  const fnW = `first_nonfinite/${h}x${w}x${c}x2`;
  const g2 = rand(hw * c, 65);
  for (const flavor of FLAVORS) {
    cases.push(
      camkitKernelCase(fnW, flavor, 2 * hw * c * F, 'first_nonfinite', (rt, k) => {
        const { f: [av, gv] } = rt.arena.take([hw * c, hw * c]);
        av.set(a);
        gv.set(g2);
        let r = 0;
        return {
          run: () => void (r = (k.first_nonfinite(av, hw * c) as number) + (k.first_nonfinite(gv, hw * c) as number)),
          check: () => {
            if (r !== -2) throw new Error(`${fnW} ${flavor}: found a non-finite value in finite data`);
          },
          note: 'A and G',
        };
      }),
    );
  }

  // Not a kernel: the facade's NaN/Inf scan of A and G (src/core/inputs.ts), plain JS over both inputs.
  const cfW = `check-finite/${h}x${w}x${c}`;
  cases.push({
    workload: cfW, impl: 'js', bytes: 2 * hw * c * F,
    prepare: async () => {
      return {
        run: () => {
          checkFinite(a, 'activations', 'error');
          checkFinite(g2, 'gradients', 'error');
        },
        note: 'core/inputs.ts checkFinite(A) + checkFinite(G), as computeCamSync runs it',
      };
    },
  });
  return cases;
}

// ---------------------------------------------------------------- readback, limit

function readbackCases(): Case[] {
  const [h, w, c] = [7, 7, 2048];
  const n = h * w * c;
  return [
    {
      workload: `readback/${h}x${w}x${c}/wasm`, impl: 'tfjs-wasm', bytes: 2 * 2 * n * F,
      prepare: () =>
        tfRow('tfjs-wasm', (tf) => {
          const a = rand(n, 3), g = rand(n, 4);
          const A = tf.tensor4d(a, [1, h, w, c]);
          const G = tf.tensor4d(g, [1, h, w, c]);
          let ra: Float32Array | null = null, rg: Float32Array | null = null;
          return {
            run: () => {
              ra = A.dataSync() as Float32Array;
              rg = G.dataSync() as Float32Array;
            },
            check: () => (expectClose('readback A', ra!, a, 0), expectClose('readback G', rg!, g, 0)),
            note: 'A.dataSync() + G.dataSync()',
            dispose: () => tf.dispose([A, G]),
          };
        }),
    },
  ];
}

function limitCases(): Case[] {
  const bytes = 64 * MiB;
  return [
    {
      workload: 'limit/memcpy-64MiB', impl: 'limit', bytes: 2 * bytes, group: BANDWIDTH,
      prepare: async () => {
        const m = await memcpyBench(bytes);
        return { run: m.copy, check: m.check, wasmBytes: () => m.memory.buffer.byteLength, note: 'wasm memory.copy' };
      },
    },
  ];
}

export function allCases(): Case[] {
  const all = [
    ...limitCases(),
    ...poolMeanCases(),
    ...gradcamPostCases(),
    ...stageCases(),
    ...kernelCases(),
    ...readbackCases(),
    ...upsampleCases(),
    ...fuseCases(),
    ...overlayCases(),
    ...scorecamMaskCases(),
    ...renderCases(),
    ...modelCases(),
  ];
  // A duplicate row name, an unknown impl or a malformed workload name is an error, not a dropped row.
  return validateCases(all);
}
