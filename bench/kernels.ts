// Benchmark rows for the CAM kernels that bench/workloads.ts does not cover yet (channel_wsum,
// channel_reduce, gradcampp_weights, xgrad_weights, eigen_pc, relu, minmax_normalize,
// resize_nearest), one workload per kernel and shape, every flavor, each checked against the js
// flavor's result. `kernelCases()` plugs into allCases(); `tsx bench/kernels.ts [REGEX]` runs them alone.
import { createRuntime, type Runtime } from '../src/runtime/init.js';
import type { KernelSet } from '../src/kernels/registry.js';
import type { KernelFlavor } from '../src/kernels/types.js';
import { expectClose, fmtMs, measure, rand, type Case, type Prepared } from './harness.js';

const F = 4;
const FLAVORS: KernelFlavor[] = ['simd', 'scalar', 'js'];
const runtimes = new Map<KernelFlavor, Promise<Runtime>>();
const runtime = (f: KernelFlavor): Promise<Runtime> => {
  let r = runtimes.get(f);
  if (!r) runtimes.set(f, (r = createRuntime(f, 1 << 30)));
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
    out.push(...cases({
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
  return out;
}

// Standalone: `npx tsx bench/kernels.ts [REGEX]` prints one line per row (medians; compare ratios).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const only = process.argv[2] ? new RegExp(process.argv[2]) : null;
  for (const c of kernelCases().filter((c) => !only || only.test(`${c.workload} ${c.impl}`))) {
    const p = await c.prepare();
    if (typeof p === 'string') continue;
    const m = await measure(p, { budgetMs: 1500, warmupMs: 200, minSamples: 5, maxSamples: 31, sampleMs: 4 });
    console.log(`${c.workload.padEnd(36)} ${c.impl.padEnd(7)} ${fmtMs(m.median_ms).padStart(10)} ${(c.bytes / (m.median_ms * 1e6)).toFixed(1).padStart(6)} GB/s`);
  }
}
