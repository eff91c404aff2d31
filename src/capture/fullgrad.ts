// FullGrad (Srinivas & Fleuret 2019, as pytorch-grad-cam's fullgrad_cam.py): the input term |∂T/∂x ⊙ x|
// plus, for every biased conv / BatchNorm layer, |b ⊙ ∂T/∂z| with z the layer's output BEFORE its
// activation; each channel min-max normalised on its own (fullgrad_map), layer maps resized to the
// input, everything summed, then one (t − min)/(max + 1e-7): no ReLU, no second resize. Target layers
// are ignored. TF.js fuses the activation into the layer, so ∂T/∂z comes from the output y and
// ∂T/∂y: ∂T/∂z = ∂T/∂y · f'(z), with f'(z) written in y for linear, ReLU, ReLU6, sigmoid, tanh and
// ELU (α = 1). One backward pass for the input and one per bias layer. LayersModels only: a GraphModel
// has its BatchNorm folded into the conv bias (see docs/methods.md), and its weights are not layers.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs';
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

/** dy/dz as a function of y, for the activations whose derivative the output determines. */
const DERIV: Readonly<Record<string, (y: number) => number>> = {
  linear: () => 1,
  relu: (y) => (y > 0 ? 1 : 0),
  relu6: (y) => (y > 0 && y < 6 ? 1 : 0),
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
  elu: (y) => (y > 0 ? 1 : y + 1),
};

export interface BiasLayer {
  name: string;
  bias: Float32Array;
  activation: string;
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
        // Inference: y = γ(x − μ)/√(σ² + ε) + β = (γ/√(σ² + ε))·x + (β − μγ/√(σ² + ε)): the bias is the second term.
        const w = await Promise.all(l.getWeights().map((t) => t.data()));
        const gamma = l.scale !== false ? w[0] : null;
        const [beta, mean, variance] = w.slice(l.scale !== false ? 1 : 0);
        const eps = l.epsilon ?? 1e-3;
        out.push({ name: l.name, bias: Float32Array.from(beta, (b, k) => b - (mean[k] * (gamma ? gamma[k] : 1)) / Math.sqrt(variance[k] + eps)), activation: 'linear' });
      }
    }
  };
  await walk((model as unknown as LayerLike).layers ?? []);
  return out;
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
  const model = ad.layersModel?.();
  if (!model) {
    throw new ModelError('E_MODEL', `${method} reads the biases of the conv and BatchNorm layers: it needs a tf.LayersModel (a GraphModel folds BatchNorm into the conv biases and keeps no layers).`);
  }
  await loadExtension(rt);
  const k = extensionKernels(rt);
  const [n, H, W, C] = x.shape as [number, number, number, number];
  const HW = H * W;
  const layers = await biasLayers(model);
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
      const { f: [gv, bv, tmp, m, rtmp, up] } = rt.arena.take([n * h * w * c, c, fullgradMapTmp(c), n * h * w, h * W, n * HW]);
      for (let i = 0; i < gv.length; i++) gv[i] = gz[i] * d(a[i]);
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
