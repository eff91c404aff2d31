// Two-input, two-head models (a LayersModel and a hand-written GraphModel): an image and a metadata
// vector; a shared trunk; a classification head (conv → GAP → concat(meta) → dense `cls`) and a
// heatmap head (conv → sigmoid `heat`, [N, 6, 8, 3]). The heatmap head comes last in layer and node
// order, so "the last 4-D map" is a node the class scores do not depend on.
import * as tf from '@tensorflow/tfjs';
import { rand } from './flavors.js';
import { seedWeights } from './tfmodels.js';
import { artifacts, b64, conv, dtype, ints, shapeAttr, type W } from './tinygraph.js';

export const MH_INPUT: [number, number, number] = [12, 16, 3];
export const MH_META = 2;

export function multiHeadLayers(): tf.LayersModel {
  const img = tf.input({ shape: MH_INPUT, name: 'image' });
  const meta = tf.input({ shape: [MH_META], name: 'meta' });
  const stem = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(img) as tf.SymbolicTensor;
  const pool = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(stem) as tf.SymbolicTensor;
  const trunk = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'trunk' }).apply(pool) as tf.SymbolicTensor;
  const c1 = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'cls_conv' }).apply(trunk) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c1) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([gap, meta]) as tf.SymbolicTensor;
  const cls = tf.layers.dense({ units: 4, name: 'cls' }).apply(cat) as tf.SymbolicTensor;
  const h1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'heat_conv' }).apply(trunk) as tf.SymbolicTensor;
  const heat = tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'sigmoid', name: 'heat' }).apply(h1) as tf.SymbolicTensor;
  const m = tf.model({ inputs: [img, meta], outputs: [cls, heat], name: 'multihead' });
  seedWeights(m, 5);
  return m;
}

/** One head of a multiHeadLayers model as its own single-output model (same layers, same weights). */
export function headOnly(m: tf.LayersModel, head: 'cls' | 'heat'): tf.LayersModel {
  return tf.model({ inputs: m.inputs, outputs: m.outputs[head === 'cls' ? 0 : 1] });
}

export const MH_GRAPH_NODES = ['m/stem', 'm/pool', 'm/trunk', 'm/cls_conv', 'm/gap', 'm/cat', 'm/cls', 'cls', 'm/heat_conv', 'm/heat', 'heat'];

export async function multiHeadGraph(): Promise<tf.GraphModel> {
  const [H, Wd, C] = MH_INPUT;
  let seed = 300;
  const w = (name: string, shape: number[], scale: number): W => ({ name, shape, values: rand(shape.reduce((a, b) => a * b, 1), seed++, -scale, scale), dtype: 'float32' });
  const weights: W[] = [
    w('k/stem_w', [3, 3, C, 6], 0.5),
    w('k/stem_b', [6], 0.1),
    w('k/trunk_w', [3, 3, 6, 6], 0.4),
    w('k/trunk_b', [6], 0.1),
    w('k/cls_w', [3, 3, 6, 5], 0.4),
    w('k/cls_b', [5], 0.1),
    { name: 'k/axes', shape: [2], values: Int32Array.from([1, 2]), dtype: 'int32' },
    { name: 'k/cat_axis', shape: [], values: Int32Array.from([1]), dtype: 'int32' },
    w('k/fc_w', [5 + MH_META, 4], 0.6),
    w('k/fc_b', [4], 0.1),
    w('k/heat_w', [3, 3, 6, 3], 0.4),
    w('k/heat_b', [3], 0.1),
  ];
  const nodes = [
    { name: 'image', op: 'Placeholder', attr: { dtype, shape: shapeAttr([-1, H, Wd, C]) } },
    { name: 'meta', op: 'Placeholder', attr: { dtype, shape: shapeAttr([-1, MH_META]) } },
    conv('m/stem', '_FusedConv2D', ['image', 'k/stem_w', 'k/stem_b'], ['BiasAdd', 'Relu']),
    { name: 'm/pool', op: 'MaxPool', input: ['m/stem'], attr: { T: dtype, ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } } },
    conv('m/trunk', '_FusedConv2D', ['m/pool', 'k/trunk_w', 'k/trunk_b'], ['BiasAdd', 'Relu']),
    conv('m/cls_conv', '_FusedConv2D', ['m/trunk', 'k/cls_w', 'k/cls_b'], ['BiasAdd', 'Relu']),
    { name: 'm/gap', op: 'Mean', input: ['m/cls_conv', 'k/axes'], attr: { T: dtype, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
    { name: 'm/cat', op: 'ConcatV2', input: ['m/gap', 'meta', 'k/cat_axis'], attr: { T: dtype, N: { i: '2' }, Tidx: { type: 'DT_INT32' } } },
    {
      name: 'm/cls',
      op: '_FusedMatMul',
      input: ['m/cat', 'k/fc_w', 'k/fc_b'],
      attr: { T: dtype, transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: { list: { s: [b64('BiasAdd')] } }, num_args: { i: '1' }, epsilon: { f: 0 } },
    },
    { name: 'cls', op: 'Identity', input: ['m/cls'], attr: { T: dtype } },
    conv('m/heat_conv', '_FusedConv2D', ['m/trunk', 'k/heat_w', 'k/heat_b'], ['BiasAdd']),
    { name: 'heat', op: 'Sigmoid', input: ['m/heat_conv'], attr: { T: dtype } },
  ];
  return tf.loadGraphModel(tf.io.fromMemory(artifacts(nodes, weights)));
}

export function metaInput(n: number, seed = 21): tf.Tensor2D {
  return tf.tensor2d(rand(n * MH_META, seed, -1, 1), [n, MH_META]);
}
