// A two-block, two-head attention model (batch 1, 8×8×3 input, 4×4 patches → 2×2 grid + a CLS
// token: T = 5, C = 4), written twice with the same weights: as a hand-made tfjs-converter GraphModel
// (attention probabilities are the Softmax nodes `b0/attn`, `b1/attn`; `b1/tokens` is an [N, T, C]
// node) and as a function with hooks of the same names.
import * as tf from '@tensorflow/tfjs';
import { rand } from './flavors.js';
import { artifacts, b64, dtype, ints, shapeAttr, type W } from './tinygraph.js';

export const ATT_INPUT: [number, number, number] = [8, 8, 3];
const C = 4, T = 5, HEADS = 2, HD = 2, P = 4, CLASSES = 3;

function weights(): W[] {
  let seed = 500;
  const w = (name: string, shape: number[], scale: number): W => ({ name, shape, values: rand(shape.reduce((a, b) => a * b, 1), seed++, -scale, scale), dtype: 'float32' });
  const i32 = (name: string, values: number[]): W => ({ name, shape: [values.length], values: Int32Array.from(values), dtype: 'int32' });
  const ws: W[] = [w('k/patch', [P, P, 3, C], 0.5), w('k/cls', [1, C], 0.5), w('k/pos', [T, C], 0.3)];
  for (const b of [0, 1]) ws.push(w(`k/b${b}/wq`, [C, C], 0.9), w(`k/b${b}/wk`, [C, C], 0.9), w(`k/b${b}/wv`, [C, C], 0.7), w(`k/b${b}/wo`, [C, C], 0.7));
  ws.push(
    { name: 'k/sel', shape: [1, T], values: Float32Array.from([1, 0, 0, 0, 0]), dtype: 'float32' },
    w('k/head', [C, CLASSES], 0.8),
    { name: 'k/scale', shape: [], values: Float32Array.from([HD ** -0.5]), dtype: 'float32' },
    { name: 'k/axis0', shape: [], values: Int32Array.from([0]), dtype: 'int32' },
    i32('k/s_patches', [P, C]),
    i32('k/s_heads', [1, T, HEADS, HD]),
    i32('k/s_tokens', [T, C]),
    i32('k/s_tokens3', [1, T, C]),
    i32('k/perm', [0, 2, 1, 3]),
  );
  return ws;
}

const mm = (name: string, a: string, b: string, tb = false) => ({ name, op: 'MatMul', input: [a, b], attr: { T: dtype, transpose_a: { b: false }, transpose_b: { b: tb } } });
const bmm = (name: string, a: string, b: string, adjY = false) => ({ name, op: 'BatchMatMulV2', input: [a, b], attr: { T: dtype, adj_x: { b: false }, adj_y: { b: adjY } } });
const reshape = (name: string, x: string, s: string) => ({ name, op: 'Reshape', input: [x, s], attr: { T: dtype, Tshape: { type: 'DT_INT32' } } });
const transpose = (name: string, x: string) => ({ name, op: 'Transpose', input: [x, 'k/perm'], attr: { T: dtype, Tperm: { type: 'DT_INT32' } } });

export async function attentionGraph(): Promise<tf.GraphModel> {
  const [H, Wd, Ci] = ATT_INPUT;
  const nodes: object[] = [
    { name: 'input', op: 'Placeholder', attr: { dtype, shape: shapeAttr([1, H, Wd, Ci]) } },
    { name: 'patch', op: 'Conv2D', input: ['input', 'k/patch'], attr: { T: dtype, strides: ints([1, P, P, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]) } },
    reshape('patches', 'patch', 'k/s_patches'),
    { name: 'cat', op: 'ConcatV2', input: ['k/cls', 'patches', 'k/axis0'], attr: { T: dtype, N: { i: '2' }, Tidx: { type: 'DT_INT32' } } },
    { name: 'b0/in', op: 'AddV2', input: ['cat', 'k/pos'], attr: { T: dtype } },
  ];
  for (const b of [0, 1]) {
    const x = b === 0 ? 'b0/in' : 'b1/in';
    if (b === 1) nodes.push(reshape('b1/tokens', 'b0/out', 'k/s_tokens3'), reshape('b1/in', 'b1/tokens', 'k/s_tokens'));
    for (const p of ['q', 'k', 'v']) nodes.push(mm(`b${b}/${p}2`, x, `k/b${b}/w${p}`), reshape(`b${b}/${p}4`, `b${b}/${p}2`, 'k/s_heads'), transpose(`b${b}/${p}`, `b${b}/${p}4`));
    nodes.push(
      bmm(`b${b}/scores`, `b${b}/q`, `b${b}/k`, true),
      { name: `b${b}/scaled`, op: 'Mul', input: [`b${b}/scores`, 'k/scale'], attr: { T: dtype } },
      { name: `b${b}/attn`, op: 'Softmax', input: [`b${b}/scaled`], attr: { T: dtype } },
      bmm(`b${b}/ctx`, `b${b}/attn`, `b${b}/v`),
      transpose(`b${b}/ctx_t`, `b${b}/ctx`),
      reshape(`b${b}/ctx2`, `b${b}/ctx_t`, 'k/s_tokens'),
      mm(`b${b}/proj`, `b${b}/ctx2`, `k/b${b}/wo`),
      { name: `b${b}/out`, op: 'AddV2', input: [x, `b${b}/proj`], attr: { T: dtype } },
    );
  }
  nodes.push(mm('cls_row', 'k/sel', 'b1/out'), mm('logits', 'cls_row', 'k/head'));
  return tf.loadGraphModel(tf.io.fromMemory(artifacts(nodes, weights())));
}

/** The same model as a function `(x, hook?) => logits`, hooks at `b0/attn`, `b1/attn` and `b1/tokens`. */
export function attentionFunction(): { fn: (x: tf.Tensor, hook?: (n: string, t: tf.Tensor) => tf.Tensor) => tf.Tensor; dispose(): void } {
  const ws = new Map(weights().map((w) => [w.name, tf.tensor(w.values, w.shape, w.dtype)]));
  const g = (n: string) => ws.get(n)!;
  const fn = (x: tf.Tensor, hook: (n: string, t: tf.Tensor) => tf.Tensor = (_n, t) => t) => {
    const p = tf.reshape(tf.conv2d(x as tf.Tensor4D, g('k/patch') as tf.Tensor4D, P, 'valid'), [P, C]);
    let h: tf.Tensor = tf.add(tf.concat([g('k/cls'), p], 0), g('k/pos'));
    for (const b of [0, 1]) {
      if (b === 1) h = tf.reshape(hook('b1/tokens', tf.reshape(h, [1, T, C])), [T, C]);
      const part = (w: string) => tf.transpose(tf.reshape(tf.matMul(h as tf.Tensor2D, g(`k/b${b}/${w}`) as tf.Tensor2D), [1, T, HEADS, HD]), [0, 2, 1, 3]);
      const a = hook(`b${b}/attn`, tf.softmax(tf.mul(tf.matMul(part('wq'), part('wk'), false, true), HD ** -0.5)));
      const ctx = tf.reshape(tf.transpose(tf.matMul(a, part('wv')), [0, 2, 1, 3]), [T, C]);
      h = tf.add(h, tf.matMul(ctx as tf.Tensor2D, g(`k/b${b}/wo`) as tf.Tensor2D));
    }
    return tf.matMul(tf.matMul(g('k/sel') as tf.Tensor2D, h as tf.Tensor2D), g('k/head') as tf.Tensor2D);
  };
  return { fn, dispose: () => tf.dispose([...ws.values()]) };
}
