// FullGrad (Srinivas & Fleuret 2019, as pytorch-grad-cam's fullgrad_cam.py): the input term |∂T/∂x ⊙ x|
// plus, for every biased conv / BatchNorm, |b ⊙ ∂T/∂z| with z the output BEFORE the activation; each
// channel min-max normalised on its own (fullgrad_map), layer maps resized to the input, everything
// summed, then one (t − min)/(max + 1e-7): no ReLU, no second resize. Target layers are ignored.
// TF.js fuses the activation into the layer (and the converter into the graph node), so ∂T/∂z comes
// from the output y and ∂T/∂y: ∂T/∂z = ∂T/∂y · f'(z), with f'(z) written in y. One backward pass for
// the input and one per bias site. LayersModels: conv / BatchNormalization layers. GraphModels: fused
// conv nodes, BiasAdd / Add of a constant after a conv, FusedBatchNorm, and the Mul + Add a converter
// leaves for an unfolded BatchNorm (docs/methods.md: what BatchNorm folding changes).
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel, LayersModel } from '@tensorflow/tfjs';
import { ModelError } from '../errors.js';
import type { Runtime } from '../runtime/init.js';
import { extensionKernels, loadExtension } from '../runtime/extension.js';
import { fullgradMapTmp } from '../kernels/fullgrad_map.js';
import type { ModelAdapter, ScoreFn } from './adapter.js';

interface LayerLike {
  name: string;
  layers?: LayerLike[];
  getClassName(): string;
  getWeights(): tf.Tensor[];
  useBias?: boolean;
  activation?: { getClassName(): string };
  center?: boolean;
  scale?: boolean;
  epsilon?: number;
}

const CONV = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'Conv1D', 'Conv3D']);

/** dy/dz as a function of y (and the slope α of leaky ReLU / PReLU, α ≥ 0), for the activations whose derivative the output determines. */
const DERIV: Readonly<Record<string, (y: number, alpha: number) => number>> = {
  linear: () => 1,
  relu: (y) => (y > 0 ? 1 : 0),
  relu6: (y) => (y > 0 && y < 6 ? 1 : 0),
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
  elu: (y) => (y > 0 ? 1 : y + 1),
  leakyrelu: (y, a) => (y > 0 ? 1 : a),
  prelu: (y, a) => (y > 0 ? 1 : a),
};

/** One place FullGrad takes a bias gradient: a layer (LayersModel) or a node (GraphModel). */
export interface BiasLayer {
  name: string;
  bias: Float32Array;
  /** The activation fused after the bias ('linear' when the site outputs the biased value itself). */
  activation: string;
  /** Leaky ReLU's slope, or PReLU's slope per channel. */
  alpha?: number | Float32Array;
}

/** BatchNorm in inference, y = γ(x − μ)/√(σ² + ε) + β = (γ/√(σ² + ε))·x + (β − μγ/√(σ² + ε)): the bias is the second term. */
function batchNormBias(gamma: ArrayLike<number> | null, beta: ArrayLike<number>, mean: ArrayLike<number>, variance: ArrayLike<number>, eps: number): Float32Array {
  return Float32Array.from(beta, (b, k) => b - (mean[k] * (gamma ? gamma[k] : 1)) / Math.sqrt(variance[k] + eps));
}

/** Every biased conv / BatchNormalization layer of the model, nested models included, in layer order. */
export async function biasLayers(model: LayersModel): Promise<BiasLayer[]> {
  const out: BiasLayer[] = [];
  const walk = async (ls: LayerLike[]) => {
    for (const l of ls) {
      if (Array.isArray(l.layers) && l.layers.length) await walk(l.layers);
      const cls = l.getClassName();
      if (CONV.has(cls) && l.useBias) {
        const w = l.getWeights();
        const act = l.activation?.getClassName() ?? 'linear';
        out.push({ name: l.name, bias: Float32Array.from(await w[w.length - 1].data()), activation: act });
      } else if (cls === 'BatchNormalization' && l.center !== false) {
        const w = await Promise.all(l.getWeights().map((t) => t.data()));
        const gamma = l.scale !== false ? w[0] : null;
        const [beta, mean, variance] = w.slice(l.scale !== false ? 1 : 0);
        out.push({ name: l.name, bias: batchNormBias(gamma, beta, mean, variance, l.epsilon ?? 1e-3), activation: 'linear' });
      }
    }
  };
  await walk((model as unknown as LayerLike).layers ?? []);
  return out;
}

interface GraphNodeLike {
  name: string;
  op: string;
  inputs?: GraphNodeLike[];
  attrParams?: Record<string, { value?: unknown } | undefined>;
}

const FUSED_CONV_OPS = new Set(['_FusedConv2D', 'FusedDepthwiseConv2dNative']);
const CONV_OPS = new Set(['Conv2D', 'DepthwiseConv2d', 'DepthwiseConv2dNative', 'Conv2DBackpropInput']);
const BN_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);
const ADD_OPS = new Set(['BiasAdd', 'Add', 'AddV2']);

/**
 * Every bias site of a GraphModel among `nodes` (those the explained output depends on), in no
 * particular order: fused conv nodes with a BiasAdd (their fused activation recorded), a BiasAdd / Add
 * of a per-channel constant after a conv or after a Mul by a constant (an unfolded BatchNorm, unless
 * it scales the model input: preprocessing), and FusedBatchNorm nodes.
 */
export async function graphBiasSites(model: GraphModel, nodes: ReadonlySet<string>): Promise<BiasLayer[]> {
  const g = model as unknown as { executor?: { graph?: { nodes?: Record<string, GraphNodeLike> } }; weights: Record<string, tf.Tensor[]> };
  const all = g.executor?.graph?.nodes ?? {};
  const constOf = (n: GraphNodeLike | undefined): tf.Tensor | null => {
    while (n && n.op === 'Identity' && n.inputs?.length === 1) n = n.inputs[0];
    return n && n.op === 'Const' ? (g.weights[n.name]?.[0] ?? null) : null;
  };
  // A constant that broadcasts over all but the last (channel) axis.
  const perChannel = (t: tf.Tensor | null): t is tf.Tensor => !!t && t.rank >= 1 && t.shape.slice(0, -1).every((d) => d === 1);
  const values = async (t: tf.Tensor) => Float32Array.from((await t.data()) as Float32Array);
  const attr = (n: GraphNodeLike, k: string) => n.attrParams?.[k]?.value;
  const refuse = (n: GraphNodeLike, why: string) => new ModelError('E_MODEL', `FullGrad: node '${n.name}' (${n.op}) ${why}.`);
  const out: BiasLayer[] = [];
  for (const n of Object.values(all)) {
    if (!nodes.has(n.name)) continue;
    const ins = n.inputs ?? [];
    if (FUSED_CONV_OPS.has(n.op)) {
      const [extra, act] = (attr(n, 'fusedOps') as string[] | undefined) ?? [];
      if (extra !== 'biasadd') continue;
      const b = constOf(ins[2]);
      if (!b) throw refuse(n, 'adds a bias that is not a constant');
      const site: BiasLayer = { name: n.name, bias: await values(b), activation: act ?? 'linear' };
      if (act === 'leakyrelu') site.alpha = Number(attr(n, 'leakyreluAlpha') ?? 0.2);
      if (act === 'prelu') {
        const a = constOf(ins[3]);
        if (!a) throw refuse(n, 'has a PReLU slope that is not a constant');
        site.alpha = await values(a);
      }
      out.push(site);
    } else if (ADD_OPS.has(n.op) && ins.length === 2) {
      const k = constOf(ins[1]) ? 1 : 0;
      const b = constOf(ins[k]);
      const src = ins[1 - k];
      if (!perChannel(b) || constOf(src)) continue;
      const affine = src.op === 'Mul' && (src.inputs ?? []).some((i) => constOf(i)) && !(src.inputs ?? []).some((i) => i.op === 'Placeholder');
      if (CONV_OPS.has(src.op) || affine) out.push({ name: n.name, bias: await values(b), activation: 'linear' });
    } else if (BN_OPS.has(n.op)) {
      const [scale, offset, mean, variance] = [1, 2, 3, 4].map((i) => constOf(ins[i]));
      if (!scale || !offset || !mean || !variance) throw refuse(n, 'has statistics that are not constants');
      const [s, o, m, v] = await Promise.all([scale, offset, mean, variance].map(values));
      out.push({ name: n.name, bias: batchNormBias(s, o, m, v, Number(attr(n, 'epsilon') ?? 1e-3)), activation: 'linear' });
    }
  }
  return out;
}

/** The bias sites of the adapter's model that the explained output depends on, in forward order. */
async function biasSites(ad: ModelAdapter, x: tf.Tensor, method: string): Promise<BiasLayer[]> {
  const lm = ad.layersModel?.();
  if (lm) return biasLayers(lm);
  const gm = ad.graphModel?.();
  if (gm) {
    const sites = await graphBiasSites(gm, new Set(ad.layerShapes(x).keys()));
    const order = ad.order(sites.map((s) => s.name));
    return order.map((name) => sites.find((s) => s.name === name)!);
  }
  throw new ModelError('E_MODEL', `${method} reads the biases of the conv and BatchNorm layers: it needs a tf.LayersModel or a tf.GraphModel, not a function.`);
}

export interface FullGradMaps {
  /** [n][H][W] final maps. */
  map: Float32Array;
  /** The model output for x (caller disposes). */
  output: tf.Tensor;
  /** The bias layers used, in order. */
  layers: string[];
}

/** The FullGrad maps of x [n, H, W, C] at the input size. */
export async function fullGradMaps(ad: ModelAdapter, x: tf.Tensor, score: ScoreFn, rt: Runtime, method: string): Promise<FullGradMaps> {
  const layers = await biasSites(ad, x, method);
  await loadExtension(rt);
  const k = extensionKernels(rt);
  const [n, H, W, C] = x.shape as [number, number, number, number];
  const HW = H * W;
  const total = new Float32Array(n * HW);
  const ig = ad.inputGradient(x, score);
  let output: tf.Tensor | null = ig.output;
  try {
    const [g, xv] = await Promise.all([ig.gradients.data() as Promise<Float32Array>, x.data() as Promise<Float32Array>]);
    ig.gradients.dispose();
    {
      const { f: [gv, sv, tmp, m] } = rt.arena.take([n * HW * C, n * HW * C, fullgradMapTmp(C), n * HW]);
      gv.set(g);
      sv.set(xv);
      k.fullgrad_map(m, gv, sv, tmp, n, HW, C, 1);
      total.set(m);
    }
    for (const l of layers) {
      const cap = ad.capture(x, l.name, score);
      let a: Float32Array, gz: Float32Array, shape: number[];
      try {
        shape = cap.activations.shape.slice();
        [a, gz] = (await Promise.all([cap.activations.data(), cap.gradients.data()])) as [Float32Array, Float32Array];
      } finally {
        tf.dispose([cap.activations, cap.gradients, cap.output]);
      }
      if (shape.length !== 4) throw new ModelError('E_MODEL', `${method}: layer '${l.name}' outputs [${shape.join(', ')}]; only 2-D feature maps are supported.`);
      const d = DERIV[l.activation];
      if (!d) throw new ModelError('E_MODEL', `${method}: layer '${l.name}' fuses a '${l.activation}' activation, whose pre-activation gradient its output does not give (supported: ${Object.keys(DERIV).join(', ')}).`);
      const [, h, w, c] = shape;
      const alpha = l.alpha ?? 0;
      // A negative slope maps z < 0 to y > 0: y no longer tells which side of 0 z was.
      if (typeof alpha === 'number' ? alpha < 0 : alpha.some((v) => v < 0)) {
        throw new ModelError('E_MODEL', `${method}: layer '${l.name}' fuses a '${l.activation}' with a negative slope, whose pre-activation gradient its output does not give.`);
      }
      const { f: [gv, bv, tmp, m, rtmp, up] } = rt.arena.take([n * h * w * c, c, fullgradMapTmp(c), n * h * w, h * W, n * HW]);
      if (typeof alpha === 'number') for (let i = 0; i < gv.length; i++) gv[i] = gz[i] * d(a[i], alpha);
      else for (let i = 0; i < gv.length; i++) gv[i] = gz[i] * d(a[i], alpha[i % c]);
      bv.set(l.bias);
      k.fullgrad_map(m, gv, bv, tmp, n, h * w, c, 0);
      rt.kernels.resize_bilinear(up, m, rtmp, n, h, w, H, W, 0);
      for (let i = 0; i < total.length; i++) total[i] += up[i];
    }
    const { f: [t] } = rt.arena.take([n * HW]);
    t.set(total);
    rt.kernels.minmax_normalize(t, n, HW, 1e-7);
    const map = Float32Array.from(t);
    const out = output;
    output = null;
    return { map, output: out, layers: layers.map((l) => l.name) };
  } finally {
    if (output) output.dispose();
    if (!ig.gradients.isDisposed) ig.gradients.dispose();
  }
}
