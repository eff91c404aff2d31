// Small synthetic tfjs models for the capture tests, with deterministic weights, plus backend
// selection, golden-model loading and the leak counter.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rand } from './flavors.js';

export type Backend = 'cpu' | 'wasm';
export const BACKENDS: readonly Backend[] = ['cpu', 'wasm'];

export async function useBackend(name: Backend): Promise<void> {
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend ${name} failed to initialise`);
  }
  await tf.ready();
}

/** Replaces every weight by deterministic values (glorot-scaled) so the tests do not depend on tf's RNG. */
export function seedWeights(model: tf.LayersModel, seed = 7): void {
  const ws = model.getWeights();
  const next = ws.map((w, i) => {
    const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 8;
    const s = Math.sqrt(3 / fanIn);
    return tf.tensor(rand(w.size, seed * 1000 + i, -s, s), w.shape);
  });
  model.setWeights(next);
  tf.dispose(next);
}

/** conv(relu) → maxpool → conv(relu) → conv(linear) → GAP → dense. */
export function sequentialModel(): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 16, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 's_conv1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 's_pool' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 's_conv2' }),
      tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 's_conv3' }),
      tf.layers.globalAveragePooling2d({ name: 's_gap' }),
      tf.layers.dense({ units: 4, name: 's_dense' }),
    ],
  });
  seedWeights(m, 1);
  return m;
}

/**
 * ResNet-style block with a depthwise conv, a BatchNorm between a ReLU and a max-pool (a
 * negative-valued max-pool input: the wasm MaxPoolGrad bug), a shared 1×1 conv used twice, then
 * add → relu → GAP → dense.
 */
export function functionalModel(): tf.LayersModel {
  const inp = tf.input({ shape: [12, 16, 3], name: 'f_in' });
  const stem = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'f_stem' }).apply(inp) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'f_bn', center: true, scale: false }).apply(stem) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({ poolSize: 2, name: 'f_pool' }).apply(bn) as tf.SymbolicTensor;
  const b1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'f_conv1' }).apply(pooled) as tf.SymbolicTensor;
  const b1r = tf.layers.activation({ activation: 'relu', name: 'f_relu1' }).apply(b1) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'f_dw' }).apply(b1r) as tf.SymbolicTensor;
  const shared = tf.layers.conv2d({ filters: 6, kernelSize: 1, name: 'f_shared' });
  const s1 = shared.apply(dw) as tf.SymbolicTensor;
  const s2 = shared.apply(pooled) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: 'f_add' }).apply([s1, s2]) as tf.SymbolicTensor;
  const out = tf.layers.activation({ activation: 'relu', name: 'f_out' }).apply(add) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'f_gap' }).apply(out) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 4, name: 'f_dense' }).apply(gap) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: dense, name: 'functional' });
  seedWeights(m, 2);
  // Non-trivial BatchNorm statistics, with a shift that makes many max-pool windows all negative.
  const bnLayer = m.getLayer('f_bn');
  const shape = bnLayer.getWeights()[0].shape;
  const bnw = [tf.fill(shape, -0.5), tf.fill(shape, 0.2), tf.fill(shape, 0.5)];
  bnLayer.setWeights(bnw);
  tf.dispose(bnw);
  return m;
}

/** A backbone sub-model (conv → relu6 → conv) used as one layer of an outer model that ends in pooling. */
export function nestedModel(): tf.LayersModel {
  const bin = tf.input({ shape: [12, 16, 3], name: 'bb_in' });
  const c1 = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', name: 'bb_conv1' }).apply(bin) as tf.SymbolicTensor;
  const r1 = tf.layers.reLU({ maxValue: 6, name: 'bb_relu1' }).apply(c1) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 7, kernelSize: 3, padding: 'same', activation: 'relu', name: 'bb_conv2' }).apply(r1) as tf.SymbolicTensor;
  const pool = tf.layers.globalAveragePooling2d({ name: 'bb_gap' }).apply(c2) as tf.SymbolicTensor;
  const backbone = tf.model({ inputs: bin, outputs: pool, name: 'backbone' });
  const inp = tf.input({ shape: [12, 16, 3], name: 'n_in' });
  const feat = backbone.apply(inp) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'n_dense' }).apply(feat) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: out, name: 'nested' });
  seedWeights(m, 3);
  return m;
}

export function randomInput(n: number, seed = 11, shape: [number, number, number] = [12, 16, 3]): tf.Tensor4D {
  return tf.tensor4d(rand(n * shape[0] * shape[1] * shape[2], seed, 0, 1), [n, ...shape]);
}

// ---------------------------------------------------------------------------------------------
// Golden models (schema gradcam-golden/1): one loader for every test, in ./golden.ts.

export { loadGolden, goldenModel } from './golden.js';
export type { GoldenFile as Golden, GoldenCase, GoldenArray } from './golden.js';

// ---------------------------------------------------------------------------------------------
// nsfwjs models, loaded offline from the npm package (UMD model.json + base64 weight shards).

export async function nsfwModel(name: 'mobilenet_v2' | 'mobilenet_v2_mid'): Promise<tf.LayersModel | tf.GraphModel> {
  const require = createRequire(import.meta.url);
  // nsfwjs' exports map hides its files, so resolve the directory from the repo root.
  const dir = fileURLToPath(new URL(`../../node_modules/nsfwjs/dist/models/${name}`, import.meta.url));
  const json = require(`${dir}/model.min.js`) as {
    format?: string;
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => Buffer.from(require(`${dir}/${p}.min.js`) as string, 'base64')));
  const art = { modelTopology: json.modelTopology, weightSpecs, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) };
  return json.format === 'graph-model' ? tf.loadGraphModel(tf.io.fromMemory(art)) : tf.loadLayersModel(tf.io.fromMemory(art));
}

/** Asserts inside `fn` that no tensor outlives the call, whether it returns or throws. */
export async function noLeak<T>(fn: () => T | Promise<T>): Promise<{ value?: T; error?: unknown; leaked: number }> {
  const before = tf.memory().numTensors;
  try {
    const value = await fn();
    return { value, leaked: tf.memory().numTensors - before };
  } catch (error) {
    return { error, leaked: tf.memory().numTensors - before };
  }
}
