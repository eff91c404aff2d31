// Whole-model rows on tfjs-wasm with nsfwjs's MobileNetV2 (a Keras functional LayersModel with
// residual Adds), loaded offline from node_modules (tfjs-plumbing.md Q3). camkit rows use the
// capture adapter and the facade; tfjs rows are what a user writes without camkit.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { expectClose, now, rand, type Case, type Prepared } from './harness.js';
import { tfWasmHeapBytes, useBackend, type Tf } from './tf.js';
import { runtime } from './workloads.js';
import * as cap from '../src/capture/index.js';
import { computeCamSync } from '../src/compute.js';

const require = createRequire(import.meta.url);
const MODEL = 'mobilenet_v2';
const LAYER = 'out_relu';
const MID = 'block_13_expand_relu';
const S = 224;
const BATCH = 32;
const SCORECAM_CHANNELS = 256;

let modelP: Promise<LayersModel> | null = null;

/** nsfwjs ships model.json and weights as UMD modules of JSON and base64; no network, no nsfwjs code. */
export function loadMobileNetV2(tf: Tf): Promise<LayersModel> {
  modelP ??= (async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'nsfwjs', 'dist', 'models', MODEL);
    // The package is "type": "module", so its UMD files load as CommonJS only under a .cjs name.
    const tmp = mkdtempSync(join(tmpdir(), 'camkit-bench-'));
    const load = (name: string): unknown => {
      const dst = join(tmp, name.replace(/\.js$/, '.cjs'));
      copyFileSync(join(dir, name), dst);
      return require(dst);
    };
    const json = load('model.min.js') as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: object[] }[];
    };
    const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
    const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => Buffer.from(load(`${p}.min.js`) as string, 'base64')));
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: weightSpecs as never, weightData }));
  })();
  return modelP;
}

interface Env {
  tf: Tf;
  model: LayersModel;
  x: Tensor;
  cls: number;
}

let envP: Promise<Env> | null = null;
async function env(): Promise<Env> {
  envP ??= (async () => {
    const tf = await useBackend('wasm');
    const model = await loadMobileNetV2(tf);
    // A fixed pseudo-random image in [0, 1] (nsfwjs feeds pixels / 255).
    const x = tf.tensor4d(rand(S * S * 3, 2024, 0, 1), [1, S, S, 3]);
    const y = model.predict(x) as Tensor;
    const cls = (await tf.argMax(y, -1).data())[0];
    y.dispose();
    return { tf, model, x, cls };
  })();
  const e = await envP;
  await useBackend('wasm');
  return e;
}

/** Wraps a row so the tfjs tensor count is checked when it ends, and wasm memory is reported. */
function modelRow(build: (e: Env) => Promise<Prepared>): () => Promise<Prepared> {
  return async () => {
    const e = await env();
    const before = e.tf.memory().numTensors;
    const p = await build(e);
    return {
      ...p,
      wasmBytes: p.wasmBytes ?? (() => tfWasmHeapBytes(e.tf)),
      dispose: () => {
        p.dispose?.();
        const leaked = e.tf.memory().numTensors - before;
        if (leaked !== 0) console.warn(`  warning: this row left ${leaked} tensors behind`);
      },
    };
  };
}


/** The class score as tfjs-wasm can differentiate it (gather's gradient is missing on wasm). */
const oneHotScore = (tf: Tf, cls: number) => (y: Tensor) => tf.sum(tf.mul(y, tf.oneHot(tf.tensor1d([cls], 'int32'), y.shape[1]!))) as never;

export function modelCases(): Case[] {
  const inBytes = S * S * 3 * 4;
  const cases: Case[] = [];

  cases.push({
    workload: `forward/${MODEL}/wasm`, impl: 'tfjs-wasm', bytes: inBytes, group: `${MODEL} gradcam`,
    prepare: modelRow(async ({ tf, model, x }) => ({
      run: () => {
        const y = model.predict(x) as Tensor;
        y.dataSync();
        y.dispose();
      },
      note: 'model.predict + dataSync, batch 1',
    })),
  });

  cases.push({
    workload: `explain/gradcam/${MODEL}/wasm`, impl: 'simd', bytes: inBytes, group: `${MODEL} gradcam`,
    prepare: modelRow(async ({ tf, model, x, cls }) => {
      const rt = await runtime('simd');
      let map: Float32Array | null = null;
      // kernel_ms: the part of explain() after A and G are read out of tfjs (computeCamSync: validation,
      // copies into the arena, every kernel, copies out), timed on the same A and G outside the samples.
      const c = cap.createAdapter(model as never).capture(x as never, LAYER, oneHotScore(tf, cls) as never);
      const shape = c.activations.shape;
      const arrays = { activations: { data: c.activations.dataSync() as Float32Array, shape }, gradients: { data: c.gradients.dataSync() as Float32Array, shape } };
      tf.dispose([c.activations, c.gradients, c.output] as never);
      return {
        run: async () => {
          map = (await cap.explain(model as never, x as never, { method: 'GradCAM', layer: LAYER, target: cls, runtime: rt })).map;
        },
        check: () => {
          if (!map || map.length !== S * S || !(Math.max(...map) > 0.99)) throw new Error('explain/gradcam: the map is not a normalised 224×224 map');
        },
        kernelMs: () => {
          const ts: number[] = [];
          for (let i = 0; i < 41; i++) {
            const t0 = now();
            computeCamSync(rt, 'GradCAM', arrays, { outputSize: [S, S] });
            ts.push(now() - t0);
          }
          return median(ts.slice(10));
        },
        wasmBytes: () => tfWasmHeapBytes(tf) + rt.arena.byteLength,
        note: `explain(model, x, {method: 'GradCAM', layer: '${LAYER}'})`,
      };
    }),
  });

  cases.push({
    workload: `explain/scorecam/${MODEL}/wasm`, impl: 'simd', bytes: inBytes, group: `${MODEL} scorecam`,
    prepare: modelRow(async ({ tf, model, x, cls }) => {
      const rt = await runtime('simd');
      let res: { map: Float32Array } | null = null;
      return {
        run: async () => {
          res = await cap.explain(model as never, x as never, { method: 'FasterScoreCAM', layer: LAYER, maxN: SCORECAM_CHANNELS, batchSize: BATCH, target: cls, runtime: rt });
        },
        // One batch instead of eight: the same kernels and shapes, an eighth of the time.
        warmup: () => cap.explain(model as never, x as never, { method: 'FasterScoreCAM', layer: LAYER, maxN: BATCH, batchSize: BATCH, target: cls, runtime: rt }),
        check: () => {
          if (!res || res.map.length !== S * S) throw new Error('explain/scorecam: no 224×224 map');
        },
        wasmBytes: () => tfWasmHeapBytes(tf) + rt.arena.byteLength,
        note: `explain FasterScoreCAM, top ${SCORECAM_CHANNELS} channels of ${LAYER}, batches of ${BATCH}`,
      };
    }),
  });

  cases.push({
    workload: `forward-batch/${MODEL}/wasm`, impl: 'tfjs-wasm', bytes: SCORECAM_CHANNELS * inBytes, group: `${MODEL} scorecam`,
    prepare: modelRow(async ({ tf, model }) => {
      const xb = tf.tensor4d(rand(BATCH * S * S * 3, 7, 0, 1), [BATCH, S, S, 3]);
      return {
        run: () => {
          for (let i = 0; i < SCORECAM_CHANNELS; i += BATCH) {
            const y = model.predict(xb) as Tensor;
            y.dataSync();
            y.dispose();
          }
        },
        warmup: () => (model.predict(xb) as Tensor).dispose(),
        note: `${SCORECAM_CHANNELS} inferences as ${SCORECAM_CHANNELS / BATCH} predict calls of ${BATCH}`,
        dispose: () => xb.dispose(),
      };
    }),
  });

  // Mid-network capture: camkit's adapter (weight gradients skipped, wasm gaps delegated) against the
  // plain tf.grad a user would write, with only the kernels wasm lacks delegated to the cpu backend.
  let camkitG: Float32Array | null = null;
  let plainG: Float32Array | null = null;
  const agree = () => {
    if (camkitG && plainG) expectClose(`capture/${MID}: camkit G vs plain tf.grad G`, camkitG, plainG, 1e-4);
  };
  cases.push({
    workload: `capture/${MID}/${MODEL}/wasm`, impl: 'simd', bytes: inBytes,
    prepare: modelRow(async ({ tf, model, x, cls }) => {
      const adapter = cap.createAdapter(model as never);
      const score = oneHotScore(tf, cls);
      return {
        run: () => {
          const c = adapter.capture(x as never, MID, score as never);
          camkitG = c.gradients.dataSync() as Float32Array;
          c.activations.dataSync();
          tf.dispose([c.activations, c.gradients, c.output] as never);
        },
        check: agree,
        note: 'createAdapter(model).capture: A and G read back',
      };
    }),
  });
  cases.push({
    workload: `capture/${MID}/${MODEL}/wasm`, impl: 'tfjs-wasm', bytes: inBytes,
    prepare: modelRow(async ({ tf, model, x, cls }) => {
      const score = oneHotScore(tf, cls);
      return {
        run: () => {
          const { a, g } = withCpuDelegates(tf, () => plainCapture(tf, model, x, MID, score));
          plainG = g.dataSync() as Float32Array;
          a.dataSync();
          tf.dispose([a, g]);
        },
        // Warm-up at the last feature map: the same delegates and kernels, a fraction of the time.
        warmup: () => {
          const { a, g } = withCpuDelegates(tf, () => plainCapture(tf, model, x, LAYER, score));
          tf.dispose([a, g]);
        },
        check: agree,
        note: 'tf.valueAndGrad through the layer graph after the target; cpu delegates for missing wasm kernels',
      };
    }),
  });
  return cases;
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---------------------------------------------------------------- the plain-tfjs baseline

interface Sym {
  id: number;
  sourceLayer: { apply(x: unknown, kw?: object): unknown; inboundNodes: { outputTensors: Sym[] }[] };
  inputs: Sym[];
  callArgs: object;
}

/**
 * A and dScore/dA the way the tfjs examples do it, generalised to a functional model with skips:
 * evaluate the layer graph up to A, then tf.valueAndGrad over the rest of the graph with A swapped in
 * (tfjs-plumbing.md Q1b). Weight gradients are computed, as tf.grad always does.
 */
function plainCapture(tf: Tf, model: LayersModel, x: Tensor, layer: string, score: (y: Tensor) => Tensor): { a: Tensor; g: Tensor } {
  const m = model as unknown as { getLayer(n: string): { inboundNodes: { outputTensors: Sym[] }[] }; inputs: Sym[]; outputs: Sym[] };
  const stA = m.getLayer(layer).inboundNodes[0].outputTensors[0];
  const runGraph = (outs: Sym[], vals: Map<number, Tensor>) => {
    const ev = (st: Sym): Tensor => {
      const hit = vals.get(st.id);
      if (hit) return hit;
      const ins = st.inputs.map(ev);
      const out = st.sourceLayer.apply(ins.length === 1 ? ins[0] : ins, { ...st.callArgs, training: false }) as Tensor | Tensor[];
      const arr = Array.isArray(out) ? out : [out];
      const node = st.sourceLayer.inboundNodes.find((n) => n.outputTensors.some((t) => t.id === st.id))!;
      node.outputTensors.forEach((t, i) => vals.set(t.id, arr[i]));
      return vals.get(st.id)!;
    };
    return outs.map(ev);
  };
  return tf.tidy(() => {
    const up = new Map<number, Tensor>(m.inputs.map((s) => [s.id, x]));
    const a = runGraph([stA], new Map(up))[0];
    const { grad } = tf.valueAndGrad((av: Tensor) => {
      const vals = new Map(up);
      vals.set(stA.id, av);
      return score(runGraph([m.outputs[0]], vals)[0]) as never;
    })(a as never);
    return { a, g: grad };
  });
}

/** Kernels tfjs-wasm 4.22 lacks that MobileNetV2's backward pass needs, served by the cpu backend. */
const MISSING_ON_WASM = ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'Conv2DBackpropFilter'];

type KB = {
  readSync(id: unknown): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: string, values?: unknown): { dataId: unknown; shape: number[]; dtype: string };
  makeOutput?(shape: number[], dtype: string, off?: number, values?: ArrayLike<number>): unknown;
  disposeData(id: unknown, force?: boolean): void;
};

function withCpuDelegates<T>(tf: Tf, fn: () => T): T {
  const added: string[] = [];
  for (const name of MISSING_ON_WASM) {
    if (tf.getKernel(name, 'wasm')) continue;
    const cpuK = tf.getKernel(name, 'cpu');
    if (!cpuK) throw new Error(`tfjs cpu backend has no ${name}`);
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const cpu = tf.findBackend('cpu') as unknown as KB;
        const b = backend as unknown as KB;
        const made: { dataId: unknown }[] = [];
        const ins: Record<string, unknown> = {};
        for (const [k, t] of Object.entries(inputs)) {
          if (!t) continue;
          const ti = cpu.makeTensorInfo(t.shape, t.dtype, b.readSync(t.dataId));
          made.push(ti);
          ins[k] = ti;
        }
        const r = cpuK.kernelFunc({ inputs: ins as never, backend: cpu as never, attrs }) as { dataId: unknown; shape: number[]; dtype: string };
        made.push(r);
        const out = b.makeOutput!(r.shape, r.dtype, undefined, cpu.readSync(r.dataId));
        for (const t of made) cpu.disposeData(t.dataId, true);
        return out as never;
      },
    });
    added.push(name);
  }
  try {
    return fn();
  } finally {
    for (const name of added) tf.unregisterKernel(name, 'wasm');
  }
}
