// Guided backprop (Springenberg et al. 2015) for any model: the Relu and Relu6 gradients are
// replaced, for the duration of one synchronous gradient call, by dy·[x>0]·[dy>0] (Relu6 also
// masks x>6). The gradient config is looked up when an op is taped, so the override must wrap the
// whole forward+backward. The gradient registry is process-global: the override is ref-counted for
// nested calls and always restored in finally.
import * as tf from '@tensorflow/tfjs-core';
import { createAdapter, type AdapterOptions, type ExplainableModel, type ModelAdapter } from './adapter.js';
import { makeScore, type ScoreOptions, type Target } from './targets.js';

const guidedRelu: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => tf.mul(tf.mul(dy as tf.Tensor, tf.step(x)), tf.step(dy as tf.Tensor)) };
  },
};

const guidedRelu6: tf.GradConfig = {
  kernelName: 'Relu6',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const pass = tf.mul(tf.cast(tf.lessEqual(x, 6), 'float32'), tf.step(x));
    return { x: () => tf.mul(tf.mul(dy as tf.Tensor, pass), tf.step(dy as tf.Tensor)) };
  },
};

let depth = 0;
let prevRelu: tf.GradConfig | undefined;
let prevRelu6: tf.GradConfig | undefined;

function swapGradient(next: tf.GradConfig): tf.GradConfig | undefined {
  const prev = tf.getGradient(next.kernelName);
  if (prev) tf.unregisterGradient(next.kernelName);
  tf.registerGradient(next);
  return prev;
}

function restoreGradient(kernelName: string, prev: tf.GradConfig | undefined): void {
  tf.unregisterGradient(kernelName);
  if (prev) tf.registerGradient(prev);
}

/** Runs `fn` (synchronous) with guided Relu/Relu6 gradients; nested calls share one override. */
export function withGuidedRelu<T>(fn: () => T): T {
  if (depth === 0) {
    const r = swapGradient(guidedRelu);
    try {
      prevRelu6 = swapGradient(guidedRelu6);
    } catch (e) {
      restoreGradient('Relu', r);
      throw e;
    }
    prevRelu = r;
  }
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) {
      restoreGradient('Relu6', prevRelu6);
      restoreGradient('Relu', prevRelu);
      prevRelu = prevRelu6 = undefined;
    }
  }
}

/** Whether a guided-gradient override is active (for tests and diagnostics). */
export function guidedDepth(): number {
  return depth;
}

export interface GuidedOptions extends AdapterOptions {
  target?: Target;
  /** Score the raw output ('logits', default) or its softmax ('probabilities'). */
  scoreOn?: ScoreOptions['on'];
}

/**
 * Guided backprop for a batch: d(summed per-sample score)/d input with guided ReLUs, [N,H,W,C].
 * Returns the gradient tensor and the model output (both owned by the caller).
 */
export function guidedBackpropTensors(model: ExplainableModel | ModelAdapter, x: tf.Tensor, opts: GuidedOptions = {}): { gradients: tf.Tensor; output: tf.Tensor } {
  const ad = createAdapter(model, adapterOpts(opts));
  // The output shape is needed to validate the target; the score re-checks the batch at run time.
  const score = (out: tf.Tensor) => makeScore(opts.target, out.shape, { on: opts.scoreOn })(out);
  return withGuidedRelu(() => ad.inputGradient(x, score));
}

/** Guided backprop as arrays: `data` is [N,H,W,C] row-major (read with `await data()`). */
export async function guidedBackprop(
  model: ExplainableModel | ModelAdapter,
  x: tf.Tensor,
  opts: GuidedOptions = {},
): Promise<{ data: Float32Array; shape: number[]; output: Float32Array; outputShape: number[] }> {
  const { gradients, output } = guidedBackpropTensors(model, x, opts);
  try {
    const [g, o] = await Promise.all([gradients.data(), output.data()]);
    return { data: Float32Array.from(g as Float32Array), shape: gradients.shape, output: Float32Array.from(o as Float32Array), outputShape: output.shape };
  } finally {
    gradients.dispose();
    output.dispose();
  }
}

/** The adapter options among a larger options object. */
export function adapterOpts(o: AdapterOptions): AdapterOptions {
  const a: AdapterOptions = {};
  if (o.inputName !== undefined) a.inputName = o.inputName;
  if (o.outputName !== undefined) a.outputName = o.outputName;
  if (o.output !== undefined) a.output = o.output;
  if (o.inputs !== undefined) a.inputs = o.inputs;
  if (o.layerNames !== undefined) a.layerNames = o.layerNames;
  if (o.skipWeightGradients !== undefined) a.skipWeightGradients = o.skipWeightGradients;
  if (o.wasmDelegates !== undefined) a.wasmDelegates = o.wasmDelegates;
  return a;
}
