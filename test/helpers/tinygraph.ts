// A tfjs-converter GraphModel written by hand and loaded from memory (no Python, no files):
// input → _FusedConv2D(BiasAdd,Relu) `g/stem` → _FusedConv2D(BiasAdd) `g/lin` (linear: negative values)
// → MaxPool `g/pool` → FusedDepthwiseConv2dNative(BiasAdd,Relu6) `g/dw` → Conv2D `g/pw`
// → AddV2 `g/add` (skip from g/pool) → Relu `g/relu` → Mean `g/gap` → _FusedMatMul(BiasAdd) `g/logits`
// → Softmax `probs`. A second model contains a dynamic op (Where) so it needs executeAsync.
import * as tf from '@tensorflow/tfjs';
import { rand } from './flavors.js';

export { artifacts, b64, conv, dtype, ints, shapeAttr, type W } from '../../src/conformance/graphify.js';
import { artifacts, b64, conv, dtype, ints, shapeAttr, type W } from '../../src/conformance/graphify.js';

export const TINY_INPUT: [number, number, number] = [12, 16, 3];
export const TINY_NODES = ['g/stem', 'g/lin', 'g/pool', 'g/dw', 'g/pw', 'g/add', 'g/relu'];

export async function tinyGraphModel(): Promise<tf.GraphModel> {
  const [H, W, C] = TINY_INPUT;
  const F = 6;
  let seed = 100;
  const w = (name: string, shape: number[], scale: number): W => ({
    name,
    shape,
    values: rand(shape.reduce((a, b) => a * b, 1), seed++, -scale, scale),
    dtype: 'float32',
  });
  const weights: W[] = [
    w('c/stem_w', [3, 3, C, F], 0.5),
    w('c/stem_b', [F], 0.1),
    w('c/lin_w', [3, 3, F, F], 0.3),
    { ...w('c/lin_b', [F], 0.1), values: new Float32Array(F).fill(-0.6) },
    w('c/dw_w', [3, 3, F, 1], 0.5),
    w('c/dw_b', [F], 0.1),
    w('c/pw_w', [1, 1, F, F], 0.5),
    { name: 'c/axes', shape: [2], values: Int32Array.from([1, 2]), dtype: 'int32' },
    w('c/fc_w', [F, 4], 0.6),
    w('c/fc_b', [4], 0.1),
  ];
  const nodes = [
    { name: 'input', op: 'Placeholder', attr: { dtype, shape: shapeAttr([-1, H, W, C]) } },
    conv('g/stem', '_FusedConv2D', ['input', 'c/stem_w', 'c/stem_b'], ['BiasAdd', 'Relu']),
    conv('g/lin', '_FusedConv2D', ['g/stem', 'c/lin_w', 'c/lin_b'], ['BiasAdd']),
    { name: 'g/pool', op: 'MaxPool', input: ['g/lin'], attr: { T: dtype, ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } } },
    conv('g/dw', 'FusedDepthwiseConv2dNative', ['g/pool', 'c/dw_w', 'c/dw_b'], ['BiasAdd', 'Relu6']),
    conv('g/pw', 'Conv2D', ['g/dw', 'c/pw_w'], []),
    { name: 'g/add', op: 'AddV2', input: ['g/pw', 'g/pool'], attr: { T: dtype } },
    { name: 'g/relu', op: 'Relu', input: ['g/add'], attr: { T: dtype } },
    { name: 'g/gap', op: 'Mean', input: ['g/relu', 'c/axes'], attr: { T: dtype, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
    {
      name: 'g/logits',
      op: '_FusedMatMul',
      input: ['g/gap', 'c/fc_w', 'c/fc_b'],
      attr: { T: dtype, transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: { list: { s: [b64('BiasAdd')] } }, num_args: { i: '1' }, epsilon: { f: 0 } },
    },
    { name: 'probs', op: 'Softmax', input: ['g/logits'], attr: { T: dtype } },
  ];
  return tf.loadGraphModel(tf.io.fromMemory(artifacts(nodes, weights)));
}

/** A graph whose output depends on a dynamic op (Where): it only runs with executeAsync. */
export async function dynamicGraphModel(): Promise<tf.GraphModel> {
  const [H, W, C] = TINY_INPUT;
  const nodes = [
    { name: 'input', op: 'Placeholder', attr: { dtype, shape: shapeAttr([-1, H, W, C]) } },
    { name: 'pos', op: 'Greater', input: ['input', 'c/zero'], attr: { T: dtype } },
    { name: 'where', op: 'Where', input: ['pos'], attr: { T: { type: 'DT_BOOL' } } },
    { name: 'cnt', op: 'Cast', input: ['where'], attr: { SrcT: { type: 'DT_INT64' }, DstT: dtype } },
    { name: 'out', op: 'Sum', input: ['cnt', 'c/ax0'], attr: { T: dtype, Tidx: { type: 'DT_INT32' }, keep_dims: { b: true } } },
  ];
  const weights: W[] = [
    { name: 'c/zero', shape: [], values: Float32Array.from([0]), dtype: 'float32' },
    { name: 'c/ax0', shape: [1], values: Int32Array.from([0]), dtype: 'int32' },
  ];
  return tf.loadGraphModel(tf.io.fromMemory(artifacts(nodes, weights)));
}
