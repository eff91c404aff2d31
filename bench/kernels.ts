// Benchmark rows for the CAM kernels that bench/workloads.ts does not cover (channel_wsum at 14×14×512,
// channel_reduce, gradcampp_weights, xgrad_weights, eigen_pc, relu, minmax_normalize,
// resize_nearest, and the kernels of the methods added later: fem_weights, fullgrad_map,
// kpca_sigmoid, nmf_mu), one workload per kernel and shape, every flavor, each checked against the js
// flavor's result; the later kernels also get a tfjs formulation of the same computation on the wasm
// backend. `kernelCases()` plugs into allCases(); `tsx bench/kernels.ts [REGEX]` runs them alone.
import { createRuntime, type Runtime } from '../src/runtime/init.js';
import type { KernelSet as CoreKernelSet } from '../src/kernels/registry.js';
import { allKernels } from '../src/runtime/extension.js';
import type { ExtensionKernels } from '../src/kernels/extension-registry.js';

type KernelSet = CoreKernelSet & ExtensionKernels;
import type { KernelFlavor } from '../src/kernels/types.js';
import { fullgradMapTmp } from '../src/kernels/fullgrad_map.js';
import { kpcaSigmoidTmp } from '../src/kernels/kpca_sigmoid.js';
import { nmfInit, nmfMuTmp } from '../src/kernels/nmf_mu.js';
import { expectClose, fmtMs, measure, rand, type Case, type Prepared } from './harness.js';
import { tfWasmHeapBytes, useBackend, type Tf } from './tf.js';

const F = 4;
const FLAVORS: KernelFlavor[] = ['simd', 'scalar', 'js'];
type BenchRuntime = Runtime & { readonly kernels: KernelSet };
const runtimes = new Map<KernelFlavor, Promise<BenchRuntime>>();
// Each flavor's runtime with its extension kernels bound to the same arena, so every row runs alike.
const runtime = (f: KernelFlavor): Promise<BenchRuntime> => {
  let r = runtimes.get(f);
  if (!r) runtimes.set(f, (r = createRuntime(f, 1 << 30).then(async (rt) => ({ ...rt, kernels: await allKernels(rt) }))));
  return r;
};

interface Spec {
  workload: string;
  bytes: number;
  sizes: number[];
  inputs: (Float32Array | null)[];
  /** The timed call; in-place kernels get their input restored by `reset` outside the clock. */
  call: (k: KernelSet, v: Float32Array[]) => unknown;
  out: number;
  tol: number;
  reset?: (v: Float32Array[]) => void;
}

/** The js flavor's output of a spec, computed once in a runtime of its own (the js row's arena stays untouched). */
const jsRefs = new Map<string, Promise<Float32Array>>();
let refRuntime: Promise<BenchRuntime> | null = null;
function jsRef(s: Spec): Promise<Float32Array> {
  let p = jsRefs.get(s.workload);
  if (!p) {
    p = (refRuntime ??= createRuntime('js', 1 << 30).then(async (rt) => ({ ...rt, kernels: await allKernels(rt) }))).then((js) => {
      const { f } = js.arena.take(s.sizes);
      s.inputs.forEach((x, i) => x && f[i].set(x));
      s.call(js.kernels, f);
      return Float32Array.from(f[s.out]);
    });
    jsRefs.set(s.workload, p);
  }
  return p;
}

/**
 * A tfjs-wasm row for a spec: `build` uploads the inputs and returns the op; the timed call runs it and
 * reads the result back (dataSync), as a tfjs user needs the numbers on the CPU too. Checked against
 * the js flavor with `tol` (relative); warns when the row leaks tensors.
 */
function tfCase(s: Spec, tol: number, note: string, build: (tf: Tf) => { op: () => Float32Array; dispose: () => void }): Case {
  return {
    workload: s.workload, impl: 'tfjs-wasm', bytes: s.bytes,
    prepare: async () => {
      const want = await jsRef(s);
      const tf = await useBackend('wasm');
      const before = tf.memory().numTensors;
      const b = build(tf);
      let got: Float32Array | null = null;
      return {
        run: () => void (got = b.op()),
        check: () => expectClose(`${s.workload} tfjs-wasm`, got!, want, tol),
        wasmBytes: () => tfWasmHeapBytes(tf),
        note,
        dispose: () => {
          b.dispose();
          const leaked = tf.memory().numTensors - before;
          if (leaked !== 0) console.warn(`  warning: ${s.workload} tfjs-wasm left ${leaked} tensors behind`);
        },
      };
    },
  };
}

function cases(s: Spec): Case[] {
  let want: Float32Array | null = null;
  const prepare = async (flavor: KernelFlavor): Promise<Prepared> => {
    const rt = await runtime(flavor);
    const { f } = rt.arena.take(s.sizes);
    s.inputs.forEach((x, i) => x && f[i].set(x));
    if (!want) {
      // Reference: the js flavor on its own copy of the inputs.
      const js = await runtime('js');
      const { f: r } = js.arena.take(s.sizes);
      s.inputs.forEach((x, i) => x && r[i].set(x));
      s.call(js.kernels, r);
      want = Float32Array.from(r[s.out]);
      // The js arena is shared with the js row: restore its inputs.
    }
    const ref = want;
    return {
      run: () => {
        s.reset?.(f);
        return s.call(rt.kernels, f);
      },
      check: () => expectClose(`${s.workload} ${flavor}`, f[s.out], ref, s.tol),
      wasmBytes: () => (flavor === 'js' ? 0 : rt.arena.byteLength),
    };
  };
  return FLAVORS.map((flavor) => ({ workload: s.workload, impl: flavor, bytes: s.bytes, prepare: () => prepare(flavor) }));
}

export function kernelCases(): Case[] {
  const out: Case[] = [];
  for (const [h, w, c] of [[14, 14, 512], [7, 7, 2048]] as const) {
    const hw = h * w;
    const a = rand(hw * c, 3, 0, 2), g = rand(hw * c, 4), wt = rand(c, 5);
    // channel_wsum/7x7x2048 is one of gradcam-post's stage rows (bench/workloads.ts, with its tfjs row).
    if (c === 512) out.push(...cases({
      workload: `channel_wsum/${h}x${w}x${c}`, bytes: (hw * c + c + hw) * F,
      sizes: [hw, hw * c, c], inputs: [null, a, wt], out: 0, tol: 1e-4, // f32 sums over 2048 channels: ~1e-5 of max
      call: (k, [o, av, wv]) => k.channel_wsum(o, av, wv, 1, hw, c, 1),
    }));
    for (const mode of [0, 1, 2]) {
      out.push(...cases({
        workload: `channel_reduce/${h}x${w}x${c}/mode${mode}`, bytes: (2 * hw * c + hw) * F,
        sizes: [hw, hw * c, hw * c], inputs: [null, g, a], out: 0, tol: 1e-5,
        call: (k, [o, gv, av]) => k.channel_reduce(o, gv, av, 1, hw, c, mode),
      }));
    }
    out.push(...cases({
      workload: `gradcampp_weights/${h}x${w}x${c}`, bytes: (2 * hw * c + c) * F,
      sizes: [c, hw * c, hw * c, c], inputs: [null, g, a, null], out: 0, tol: 0,
      call: (k, [o, gv, av, t]) => k.gradcampp_weights(o, gv, av, t, 1, hw, c),
    }));
    out.push(...cases({
      workload: `xgrad_weights/${h}x${w}x${c}`, bytes: (2 * hw * c + c) * F,
      sizes: [c, hw * c, hw * c, c], inputs: [null, g, a, null], out: 0, tol: 0,
      call: (k, [o, gv, av, t]) => k.xgrad_weights(o, gv, av, t, 1, hw, c),
    }));
    // Planted rank-one structure so the iteration count is that of a real activation map (tens).
    const u = rand(hw, 6), v = rand(c, 7), noise = rand(hw * c, 8, -0.5, 0.5);
    const ea = Float32Array.from(noise, (e, i) => 2 * u[Math.floor(i / c)] * v[i % c] + e);
    out.push(...cases({
      workload: `eigen_pc/${h}x${w}x${c}`, bytes: (hw * c + hw) * F,
      sizes: [hw, hw * c, hw * c, c], inputs: [null, ea, null, null], out: 0, tol: 1e-5,
      call: (k, [o, av, x, vv]) => k.eigen_pc(o, av, null, x, vv, hw, c, 1000, 1e-6),
    }));
  }
  for (const [H, W] of [[224, 224], [1024, 1024]] as const) {
    const n = H * W, x = rand(3 * n, 9, -1, 1);
    out.push(...cases({
      workload: `relu/${H}x${W}x3`, bytes: 2 * 3 * n * F,
      sizes: [3 * n, 3 * n], inputs: [null, x], out: 0, tol: 0,
      call: (k, [o, v]) => k.relu(o, v, 3 * n),
    }));
    out.push(...cases({
      workload: `minmax_normalize/${H}x${W}x3`, bytes: 2 * 3 * n * F,
      sizes: [3 * n, 3 * n], inputs: [x, x], out: 0, tol: 0,
      call: (k, [o]) => k.minmax_normalize(o, 3, n, 1e-7),
      reset: ([o, src]) => o.set(src),
    }));
  }
  const x = rand(7 * 7, 10);
  out.push(...cases({
    workload: 'resize_nearest/7x7-1024x1024', bytes: (49 + 1024 * 1024) * F,
    sizes: [1024 * 1024, 49], inputs: [null, x], out: 0, tol: 0,
    call: (k, [o, v]) => k.resize_nearest(o, v, 1, 7, 7, 1024, 1024),
  }));
  out.push(...newMethodCases());
  return out;
}

/** A spec's three flavor rows plus its tfjs-wasm row. */
function withTf(s: Spec, tol: number, note: string, build: Parameters<typeof tfCase>[3]): Case[] {
  return [...cases(s), tfCase(s, tol, note, build)];
}

/** Rows for the kernels of the methods added with the v2 reference set. */
function newMethodCases(): Case[] {
  const out: Case[] = [];
  const read = (t: { dataSync(): unknown; dispose(): void }) => {
    const r = t.dataSync() as Float32Array;
    t.dispose();
    return r;
  };

  // fem_weights: post-ReLU activations (a third exact zeros), k = 2.
  for (const [h, w, c] of [[14, 14, 512], [7, 7, 2048]] as const) {
    const hw = h * w;
    const a = rand(hw * c, 21, -0.5, 1).map((v) => Math.max(v, 0));
    out.push(...withTf({
      workload: `fem_weights/${h}x${w}x${c}`, bytes: (hw * c + 2 * c) * F,
      sizes: [c, c, hw * c], inputs: [null, null, a], out: 0, tol: 0,
      call: (k, [wt, th, av]) => k.fem_weights(wt, th, av, 1, hw, c, 2),
    }, 1.5 / hw, 'moments(A,[0,1,2]), mean(A > m + 2·√v)', (tf) => {
      const A = tf.tensor4d(a, [1, h, w, c]);
      const op = () => read(tf.tidy(() => {
        const { mean, variance } = tf.moments(A, [0, 1, 2]);
        return tf.mean(tf.cast(tf.greater(A, tf.add(mean, tf.mul(tf.sqrt(variance), 2))), 'float32'), [0, 1, 2]);
      }));
      return { op, dispose: () => A.dispose() };
    }));
  }

  // fullgrad_map: a bias layer (per-channel scale) and the input term (elementwise, interleaved RGB).
  for (const [h, w, c, el] of [[112, 112, 64, 0], [28, 28, 512, 0], [224, 224, 3, 1]] as const) {
    const hw = h * w;
    const g = rand(hw * c, 31 + c), sv = el ? rand(hw * c, 32, 0, 1) : rand(c, 33);
    out.push(...withTf({
      workload: `fullgrad_map/${h}x${w}x${c}${el ? '/input' : '/bias'}`, bytes: (hw * c + sv.length + hw) * F,
      sizes: [hw, hw * c, sv.length, fullgradMapTmp(c)], inputs: [null, g, sv, null], out: 0, tol: 1e-5,
      call: (k, [o, gv, s, t]) => k.fullgrad_map(o, gv, s, t, 1, hw, c, el),
    }, 1e-5, 'abs(G·s), per-channel min/max, normalise, sum over channels', (tf) => {
      const G = tf.tensor4d(g, [1, h, w, c]);
      const S = el ? tf.tensor4d(sv, [1, h, w, c]) : tf.tensor1d(sv);
      const op = () => read(tf.tidy(() => {
        const t = tf.abs(tf.mul(G, S));
        const mn = tf.min(t, [0, 1, 2]);
        const range = tf.add(tf.sub(tf.max(t, [0, 1, 2]), mn), 1e-7);
        return tf.sum(tf.div(tf.sub(t, mn), range), -1);
      }));
      return { op, dispose: () => tf.dispose([G, S]) };
    }));
  }

  // kpca_sigmoid: a planted spatial pattern (a real activation map's top eigenvalue stands out).
  for (const [h, w, c] of [[14, 14, 512], [28, 28, 256]] as const) {
    const hw = h * w;
    const u = rand(hw, 41, 0, 2), v = rand(c, 42), noise = rand(hw * c, 43, 0, 0.5);
    const a = Float32Array.from(noise, (e, i) => Math.max(0, u[Math.floor(i / c)] * v[i % c] + e));
    const spec: Spec = {
      workload: `kpca_sigmoid/${h}x${w}x${c}`, bytes: (hw * c + hw) * F,
      sizes: [hw, hw * c, kpcaSigmoidTmp(hw, c)], inputs: [null, a, null], out: 0, tol: 1e-5,
      call: (k, [o, av, t]) => k.kpca_sigmoid(o, av, t, hw, c, 5000, 1e-9),
    };
    // matMul(X, transpose(X)): tfjs-wasm 4.22's transposeB path was ~10× slower here.
    out.push(...withTf(spec, 1e-4, 'matMul(X, transpose(X)), tanh, double centring, power iteration (20 matMul steps, one readback)', (tf) => {
      const A = tf.tensor2d(a, [hw, c]);
      const op = () => {
        const kc = tf.tidy(() => {
          const X = tf.sub(A, tf.mean(A, 0));
          const K = tf.tanh(tf.add(tf.div(tf.matMul(X, tf.transpose(X)), c), 1));
          const r = tf.mean(K, 1, true);
          return tf.add(tf.sub(tf.sub(K, r), tf.transpose(r)), tf.mean(r));
        });
        // The bench data's dominant eigenvalue is positive: plain power iteration, a fixed count that
        // reaches camkit's tolerance here, read back once.
        let vec = tf.tidy(() => tf.div(tf.slice(kc, [0, 0], [hw, 1]), tf.norm(tf.slice(kc, [0, 0], [hw, 1]))));
        for (let i = 0; i < 20; i++) {
          const next = tf.tidy(() => {
            const y = tf.matMul(kc, vec);
            return tf.div(y, tf.norm(y));
          });
          vec.dispose();
          vec = next;
        }
        const m = read(tf.tidy(() => tf.mul(vec, tf.sqrt(tf.sum(tf.mul(vec, tf.matMul(kc, vec)))))));
        tf.dispose([kc, vec]);
        let at = 0;
        for (let i = 1; i < hw; i++) if (Math.abs(m[i]) > Math.abs(m[at])) at = i;
        if (m[at] < 0) for (let i = 0; i < hw; i++) m[i] = -m[i];
        return m;
      };
      return { op, dispose: () => A.dispose() };
    }));
  }

  // nmf_mu: 10 multiplicative-update iterations, k = 5 components (pytorch-grad-cam's default).
  for (const [h, w, c] of [[14, 14, 512], [7, 7, 2048]] as const) {
    const n = h * w, k = 5, iters = 10;
    const p = rand(n * c, 51, -0.3, 1).map((v) => Math.max(v, 0));
    const e0 = new Float32Array(n * k), w0 = new Float32Array(c * k);
    nmfInit(e0, w0, p, n, c, k, 0);
    const spec: Spec = {
      workload: `nmf_mu/${h}x${w}x${c}/k${k}x${iters}`, bytes: (n * c + 2 * (n * k + c * k)) * F,
      sizes: [n * k, c * k, n * c, nmfMuTmp(c, k)], inputs: [e0, w0, p, null], out: 0, tol: 1e-5,
      call: (kk, [e, wv, pv, t]) => kk.nmf_mu(e, wv, pv, t, n, c, k, iters, 1e-12),
      // In place: every timed call starts again from the seeded start (two small copies).
      reset: ([e, wv]) => (e.set(e0), wv.set(w0)),
    };
    out.push(...withTf(spec, 1e-3, 'E,W updates as matMuls with explicit transposes (f32), 10 iterations, E read back', (tf) => {
      const P = tf.tensor2d(p, [n, c]);
      const Pt = tf.transpose(P); // uploaded once, like P: the transposed-operand matMul paths are slower
      const op = () => {
        const e = tf.tidy(() => {
          let E = tf.tensor2d(e0, [n, k]);
          let W = tf.tensor2d(w0, [c, k]);
          for (let i = 0; i < iters; i++) {
            E = tf.div(tf.mul(E, tf.matMul(P, W)), tf.add(tf.matMul(E, tf.matMul(tf.transpose(W), W)), 1e-12));
            W = tf.div(tf.mul(W, tf.matMul(Pt, E)), tf.add(tf.matMul(W, tf.matMul(tf.transpose(E), E)), 1e-12));
          }
          return E;
        });
        return read(e);
      };
      return { op, dispose: () => tf.dispose([P, Pt]) };
    }));
  }

  // eigen_pc mode 1 (|G|⊙A, the reference sign rule): flavors only, the tfjs formulation is eigen_pc's.
  {
    const [h, w, c] = [14, 14, 512];
    const hw = h * w;
    const u = rand(hw, 61), v = rand(c, 62), noise = rand(hw * c, 63, -0.5, 0.5);
    const a = Float32Array.from(noise, (e, i) => 2 * u[Math.floor(i / c)] * v[i % c] + e), g = rand(hw * c, 64);
    out.push(...cases({
      workload: `eigen_pc/${h}x${w}x${c}/mode1`, bytes: (2 * hw * c + hw) * F,
      sizes: [hw, hw * c, hw * c, hw * c, c], inputs: [null, a, g, null, null], out: 0, tol: 1e-5,
      call: (k, [o, av, gv, x, vv]) => k.eigen_pc(o, av, gv, x, vv, hw, c, 1000, 1e-6, 1),
    }));
  }
  return out;
}

// Standalone: `npx tsx bench/kernels.ts [REGEX]` prints one line per row (medians; compare ratios).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const only = process.argv[2] ? new RegExp(process.argv[2]) : null;
  for (const c of kernelCases().filter((c) => !only || only.test(`${c.workload} ${c.impl}`))) {
    const p = await c.prepare();
    const m = await measure(p, { budgetMs: 1500, warmupMs: 200, minSamples: 5, maxSamples: 31, sampleMs: 4 });
    console.log(`${c.workload.padEnd(36)} ${c.impl.padEnd(7)} ${fmtMs(m.median_ms).padStart(10)} ${(c.bytes / (m.median_ms * 1e6)).toFixed(1).padStart(6)} GB/s`);
  }
}
