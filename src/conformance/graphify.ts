// A tf.LayersModel rewritten as the GraphModel tensorflowjs_converter would make of it, in memory
// (`npm run conformance -- FILE --model-format graph` runs the golden models through it, so every
// method is checked on GraphModels too): Conv2D / DepthwiseConv2D → _FusedConv2D /
// FusedDepthwiseConv2dNative (BiasAdd + the layer's own activation fused), a BatchNormalization right
// after a conv (its only consumer) FOLDED into that conv (W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β)
// and any other BatchNormalization left as FusedBatchNormV3 (or, with `bnAsAffine`, the Mul + AddV2
// grappler leaves), an Activation / ReLU right after a fused conv fused into it, pools, Add, Dense →
// _FusedMatMul (softmax as its own node), ZeroPadding2D → Pad, Flatten → Reshape, Dropout dropped.
// Each node is named after the layer whose output it computes (a fused conv after the last layer
// folded into it), so layer names stay node names. Plus the GraphDef builders it uses.
import * as tf from '@tensorflow/tfjs';

/** Attribute strings of a JSON GraphDef are base64 (ASCII names here). */
export const b64 = (s: string): string => btoa(s);
export const ints = (xs: number[]) => ({ list: { i: xs.map(String) } });
export const dtype = { type: 'DT_FLOAT' };
export const shapeAttr = (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } });

export interface W {
  name: string;
  shape: number[];
  values: Float32Array | Int32Array;
  dtype: 'float32' | 'int32';
}

function constNode(w: W) {
  return {
    name: w.name,
    op: 'Const',
    attr: {
      value: { tensor: { dtype: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: { dim: w.shape.map((d) => ({ size: String(d) })) } } },
      dtype: { type: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
    },
  };
}

export function conv(name: string, op: string, inputs: string[], fused: string[], stride = 1) {
  const attr: Record<string, unknown> = {
    T: dtype,
    strides: ints([1, stride, stride, 1]),
    padding: { s: b64('SAME') },
    data_format: { s: b64('NHWC') },
    dilations: ints([1, 1, 1, 1]),
  };
  if (fused.length) {
    attr.fused_ops = { list: { s: fused.map(b64) } };
    attr.num_args = { i: String(inputs.length - 2) };
    attr.epsilon = { f: 0 };
  }
  return { name, op, input: inputs, attr };
}

export function artifacts(nodes: object[], weights: W[]): tf.io.ModelArtifacts {
  const total = weights.reduce((a, w) => a + w.values.length, 0);
  const buf = new ArrayBuffer(total * 4);
  let o = 0;
  for (const w of weights) {
    (w.dtype === 'int32' ? new Int32Array(buf, o * 4, w.values.length) : new Float32Array(buf, o * 4, w.values.length)).set(w.values as never);
    o += w.values.length;
  }
  return {
    format: 'graph-model',
    generatedBy: 'camkit test helper',
    convertedBy: 'hand',
    modelTopology: { node: [...weights.map(constNode), ...nodes], library: {}, versions: { producer: 1 } },
    weightSpecs: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })),
    weightData: buf,
  };
}


interface L {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): tf.Tensor[];
  inboundNodes: { inboundLayers: L[] }[];
}

const FUSABLE: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', linear: '' };

/** The activation a layer applies on its own (Activation, ReLU with max_value 6 or none), else null. */
function activationOf(l: L): string | null {
  const c = l.getConfig();
  if (l.getClassName() === 'Activation') return String(c.activation);
  if (l.getClassName() === 'ReLU' && !c.negativeSlope && !c.threshold) return c.maxValue === 6 ? 'relu6' : c.maxValue == null ? 'relu' : null;
  return null;
}

export interface GraphifyOptions {
  /** Leave every BatchNormalization unfolded (FusedBatchNormV3), as a graph that was not optimised would. */
  foldBatchNorm?: boolean;
  /** Unfolded BatchNorm as Mul + AddV2 by constants instead of FusedBatchNormV3. */
  bnAsAffine?: boolean;
  /** Fuse an Activation layer that follows a conv into the conv node (default true). */
  fuseActivation?: boolean;
}

export async function graphify(model: tf.LayersModel, opts: GraphifyOptions = {}): Promise<tf.GraphModel> {
  const fold = opts.foldBatchNorm ?? true;
  const fuseAct = opts.fuseActivation ?? true;
  const layers = (model.layers as unknown as L[]).slice();
  const inputLayer = model.inputs[0].sourceLayer as unknown as L;
  const inShape = (model.inputs[0].shape as (number | null)[]).map((d) => d ?? -1);
  const consumers = new Map<string, L[]>();
  for (const l of layers) for (const src of l.inboundNodes[0]?.inboundLayers ?? []) consumers.set(src.name, [...(consumers.get(src.name) ?? []), l]);
  const only = (l: L): L | null => (consumers.get(l.name)?.length === 1 ? consumers.get(l.name)![0] : null);

  const weights: W[] = [];
  const nodes: object[] = [{ name: 'input', op: 'Placeholder', attr: { dtype, shape: shapeAttr(inShape) } }];
  const alias = new Map<string, string>([[inputLayer.name, 'input']]); // layer name → node computing its output
  const done = new Set<string>([inputLayer.name]);
  const w = (name: string, t: Float32Array | Int32Array, shape: number[]) => {
    weights.push({ name, shape, values: t, dtype: t instanceof Int32Array ? 'int32' : 'float32' });
    return name;
  };
  const src = (l: L) => l.inboundNodes[0].inboundLayers.map((s) => alias.get(s.name)!);
  const data = async (l: L) => Promise.all(l.getWeights().map(async (t) => Float32Array.from((await t.data()) as Float32Array)));

  for (const l of layers) {
    if (done.has(l.name)) continue;
    const cls = l.getClassName();
    const cfg = l.getConfig();
    if (cls === 'InputLayer') continue;
    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') {
      const ws = await data(l);
      let kernel = ws[0];
      const kshape = l.getWeights()[0].shape as [number, number, number, number];
      const C = cls === 'Conv2D' ? kshape[3] : kshape[2] * kshape[3];
      let bias = cfg.useBias ? ws[1] : new Float32Array(C);
      let hasBias = !!cfg.useBias;
      let act = String(cfg.activation ?? 'linear');
      let last = l;
      const next = only(l);
      if (fold && act === 'linear' && next?.getClassName() === 'BatchNormalization') {
        const bw = await data(next);
        const bc = next.getConfig();
        const gamma = bc.scale !== false ? bw[0] : null;
        const [beta, mean, variance] = bw.slice(bc.scale !== false ? 1 : 0);
        const eps = Number(bc.epsilon ?? 1e-3);
        const s = Float32Array.from(mean, (_, k) => (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + eps));
        kernel = Float32Array.from(kernel, (v, i) => v * s[i % C]);
        bias = Float32Array.from(bias, (b, k) => (b - mean[k]) * s[k] + (beta ? beta[k] : 0));
        hasBias = true;
        done.add(next.name);
        last = next;
      }
      const after = only(last);
      const afterAct = after ? activationOf(after) : null;
      if (fuseAct && act === 'linear' && after && afterAct && afterAct in FUSABLE) {
        act = afterAct;
        done.add(after.name);
        last = after;
      }
      if (!(act in FUSABLE)) throw new Error(`graphify: activation ${act}`);
      const fused = hasBias ? ['BiasAdd', ...(act === 'linear' ? [] : [FUSABLE[act]])] : [];
      const op = hasBias ? (cls === 'Conv2D' ? '_FusedConv2D' : 'FusedDepthwiseConv2dNative') : cls === 'Conv2D' ? 'Conv2D' : 'DepthwiseConv2dNative';
      const ins = [src(l)[0], w(`${l.name}/kernel`, kernel, kshape)];
      if (hasBias) ins.push(w(`${l.name}/bias`, bias, [C]));
      const node = conv(last.name, op, ins, fused, (cfg.strides as number[])[0]) as { attr: Record<string, unknown> };
      node.attr.padding = { s: b64(String(cfg.padding).toUpperCase()) };
      nodes.push(node);
      if (!hasBias && act !== 'linear') throw new Error('graphify: activation on a conv without bias');
      for (const k of [l, last]) alias.set(k.name, last.name);
    } else if (cls === 'BatchNormalization') {
      const bw = await data(l);
      const gamma = cfg.scale !== false ? bw[0] : new Float32Array(bw[0].length).fill(1);
      const [beta, mean, variance] = bw.slice(cfg.scale !== false ? 1 : 0);
      const eps = Number(cfg.epsilon ?? 1e-3);
      const C = mean.length;
      if (opts.bnAsAffine) {
        const s = Float32Array.from(mean, (_, k) => gamma[k] / Math.sqrt(variance[k] + eps));
        nodes.push({ name: `${l.name}/mul`, op: 'Mul', input: [src(l)[0], w(`${l.name}/scale`, s, [C])], attr: { T: dtype } });
        nodes.push({ name: l.name, op: 'AddV2', input: [`${l.name}/mul`, w(`${l.name}/offset`, Float32Array.from(beta, (b, k) => b - mean[k] * s[k]), [C])], attr: { T: dtype } });
      } else {
        const ins = [src(l)[0], w(`${l.name}/gamma`, gamma, [C]), w(`${l.name}/beta`, beta, [C]), w(`${l.name}/mean`, mean, [C]), w(`${l.name}/var`, variance, [C])];
        nodes.push({ name: l.name, op: 'FusedBatchNormV3', input: ins, attr: { T: dtype, epsilon: { f: eps }, data_format: { s: b64('NHWC') }, is_training: { b: false } } });
      }
      alias.set(l.name, l.name);
    } else if (cls === 'MaxPooling2D' || cls === 'AveragePooling2D') {
      const p = cfg.poolSize as number[];
      const s = (cfg.strides as number[] | null) ?? p;
      const attr = { T: dtype, ksize: ints([1, p[0], p[1], 1]), strides: ints([1, s[0], s[1], 1]), padding: { s: b64(String(cfg.padding).toUpperCase()) }, data_format: { s: b64('NHWC') } };
      nodes.push({ name: l.name, op: cls === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool', input: [src(l)[0]], attr });
      alias.set(l.name, l.name);
    } else if (cls === 'GlobalAveragePooling2D') {
      nodes.push({ name: l.name, op: 'Mean', input: [src(l)[0], w(`${l.name}/axes`, Int32Array.from([1, 2]), [2])], attr: { T: dtype, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } });
      alias.set(l.name, l.name);
    } else if (cls === 'Add') {
      const [a, ...rest] = src(l);
      let prev = a;
      rest.forEach((b, i) => {
        const name = i === rest.length - 1 ? l.name : `${l.name}/${i}`;
        nodes.push({ name, op: 'AddV2', input: [prev, b], attr: { T: dtype } });
        prev = name;
      });
      alias.set(l.name, l.name);
    } else if (cls === 'Activation' || cls === 'ReLU') {
      const act = activationOf(l)!;
      if (act === 'linear') alias.set(l.name, src(l)[0]);
      else {
        if (!FUSABLE[act]) throw new Error(`graphify: activation ${act}`);
        nodes.push({ name: l.name, op: FUSABLE[act], input: [src(l)[0]], attr: { T: dtype } });
        alias.set(l.name, l.name);
      }
    } else if (cls === 'Dense') {
      const ws = await data(l);
      const kshape = l.getWeights()[0].shape;
      const act = String(cfg.activation ?? 'linear');
      const ins = [src(l)[0], w(`${l.name}/kernel`, ws[0], kshape), w(`${l.name}/bias`, cfg.useBias ? ws[1] : new Float32Array(kshape[1]!), [kshape[1]!])];
      const softmax = act === 'softmax';
      if (!softmax && !(act in FUSABLE)) throw new Error(`graphify: activation ${act}`);
      const fused = ['BiasAdd', ...(act === 'linear' || softmax ? [] : [FUSABLE[act]])];
      const mm = softmax ? `${l.name}/matmul` : l.name;
      nodes.push({ name: mm, op: '_FusedMatMul', input: ins, attr: { T: dtype, transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: { list: { s: fused.map(b64) } }, num_args: { i: '1' }, epsilon: { f: 0 } } });
      if (softmax) nodes.push({ name: l.name, op: 'Softmax', input: [mm], attr: { T: dtype } });
      alias.set(l.name, l.name);
    } else if (cls === 'ZeroPadding2D') {
      const [[t, b], [le, r]] = cfg.padding as number[][];
      nodes.push({ name: l.name, op: 'Pad', input: [src(l)[0], w(`${l.name}/paddings`, Int32Array.from([0, 0, t, b, le, r, 0, 0]), [4, 2])], attr: { T: dtype, Tpaddings: { type: 'DT_INT32' } } });
      alias.set(l.name, l.name);
    } else if (cls === 'Flatten') {
      nodes.push({ name: l.name, op: 'Reshape', input: [src(l)[0], w(`${l.name}/shape`, Int32Array.from([-1, (model.getLayer(l.name).outputShape as number[])[1]]), [2])], attr: { T: dtype, Tshape: { type: 'DT_INT32' } } });
      alias.set(l.name, l.name);
    } else if (cls === 'Dropout') {
      alias.set(l.name, src(l)[0]);
    } else {
      throw new Error(`graphify: layer class ${cls}`);
    }
  }
  return tf.loadGraphModel(tf.io.fromMemory(artifacts(nodes, weights)));
}
