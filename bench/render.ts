// Benchmark rows for the rendering kernels: colormap (map → RGBA) and overlay in the
// show_cam_on_image style (two passes: max, then re-brightened blend), 1024², every flavor, each
// checked exactly against the js flavor; plus renderOverlay end to end (a 7×7 map resized to 224²,
// arena plan, LUT, copy out). The alpha-blend overlay row lives in bench/workloads.ts.
// `renderCases()` plugs into allCases(); `npx tsx bench/render.ts [REGEX]` runs them alone.
import { createRuntime, type Runtime } from '../src/runtime/init.js';
import type { KernelFlavor } from '../src/kernels/types.js';
import { colormapLut } from '../src/render/colormaps.js';
import { renderOverlaySync } from '../src/render/overlay.js';
import { expectClose, fmtMs, measure, rand, type Case } from './harness.js';

const FLAVORS: KernelFlavor[] = ['simd', 'scalar', 'js'];
const runtimes = new Map<KernelFlavor, Promise<Runtime>>();
const runtime = (f: KernelFlavor): Promise<Runtime> => {
  let r = runtimes.get(f);
  if (!r) runtimes.set(f, (r = createRuntime(f, 1 << 30)));
  return r;
};

function image(n: number, seed: number): Uint8Array {
  const noise = rand(n * 4, seed, 0, 256);
  return Uint8Array.from(noise, (v, i) => (i % 4 === 3 ? 255 : v));
}

export function renderCases(): Case[] {
  const out: Case[] = [];
  const N = 1024 * 1024;
  const map = rand(N, 41, 0, 1);
  const img = image(N, 42);
  const lut = colormapLut('jet');
  const refs = new Map<string, Uint8Array>();
  const kernelRow = (workload: string, bytes: number, note: string, call: (rt: Runtime, o: Uint8Array, m: Float32Array, i: Uint8Array, l: Uint8Array) => void) =>
    FLAVORS.map((flavor): Case => ({
      workload, impl: flavor, bytes,
      prepare: async () => {
        if (!refs.has(workload)) {
          const js = await runtime('js');
          const o = new Uint8Array(N * 4);
          call(js, o, map, img, lut);
          refs.set(workload, o);
        }
        const rt = await runtime(flavor);
        const { f: [m], u: [o, i, l] } = rt.arena.take([N], [N * 4, N * 4, 1024]);
        m.set(map);
        i.set(img);
        l.set(lut);
        return {
          run: () => call(rt, o, m, i, l),
          check: () => expectClose(`${workload} ${flavor}`, o, refs.get(workload)!, 0, true),
          wasmBytes: () => (flavor === 'js' ? 0 : rt.arena.byteLength),
          note,
        };
      },
    }));
  out.push(...kernelRow('colormap/1024x1024', N * 4 + N * 4, 'jet LUT', (rt, o, m, _i, l) => rt.kernels.colormap(o, m, N, l)));
  out.push(...kernelRow('overlay_show_cam/1024x1024', N * 4 + 2 * N * 4, 'show_cam_on_image, weight 0.5', (rt, o, m, i, l) => rt.kernels.overlay(o, m, i, N, l, 0.5, 1)));

  const small = { width: 7, height: 7, values: rand(49, 43, 0, 1) };
  const photo = { width: 224, height: 224, data: image(224 * 224, 44) };
  let want: Uint8ClampedArray | null = null;
  out.push(...FLAVORS.map((flavor): Case => ({
    workload: 'renderOverlay/7x7-224x224', impl: flavor, bytes: 224 * 224 * 12,
    prepare: async () => {
      want ??= renderOverlaySync(small, photo, {}, await runtime('js')).data;
      const rt = await runtime(flavor);
      let got: Uint8ClampedArray | null = null;
      return {
        run: () => (got = renderOverlaySync(small, photo, {}, rt).data),
        check: () => expectClose(`renderOverlay ${flavor}`, got!, want!, 0, true),
        note: 'resize_bilinear + overlay + copies',
      };
    },
  })));
  return out;
}

// Standalone: `npx tsx bench/render.ts [REGEX]` prints one line per row (medians; compare ratios).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const only = process.argv[2] ? new RegExp(process.argv[2]) : null;
  for (const c of renderCases().filter((c) => !only || only.test(`${c.workload} ${c.impl}`))) {
    const p = await c.prepare();
    p.run();
    p.check?.();
    const m = await measure(p, { budgetMs: 1500, warmupMs: 200, minSamples: 5, maxSamples: 31, sampleMs: 4 });
    console.log(`${c.workload.padEnd(30)} ${c.impl.padEnd(7)} ${fmtMs(m.median_ms).padStart(10)}`);
  }
}
