// One interface over the three kinds of tfjs image model camkit explains. Every method is
// synchronous, runs in a tidy and returns only tensors the caller owns (never the caller's input).
// LayersModel: "substitute" (re-run the SymbolicTensor graph with the target's output swapped in,
// taping only what follows it), with a "probe" (a temporary `call` wrapper) for layers inside nested
// sub-models. GraphModel: feed {input, [node]: A} to execute(). Functions: capture at the input, or at
// points the function exposes through a `hook`. Sub-models are never rebuilt by re-applying layers:
// that adds inbound nodes and ref-counts to the user's model and breaks its dispose().
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel, LayersModel } from '@tensorflow/tfjs';
import { InputError, ModelError, NameError } from '../errors.js';
import { asModelError, preflightTape, withBatchNormShim, withCaptureShims, type ShimOptions } from './shims.js';

/** Returns a scalar (rank is checked at run time). */
export type ScoreFn = (out: tf.Tensor) => tf.Scalar | tf.Tensor;

// A type alias (not an interface) so it is a tf.TensorContainer and can be returned from tidy.
export type CaptureResult = {
  activations: tf.Tensor;
  gradients: tf.Tensor;
  output: tf.Tensor;
};

export interface ModelAdapter {
  readonly kind: 'layers' | 'graph' | 'function';
  /** inference-mode forward (training:false); returns the model output [N, classes] (or any tensor for custom scores) */
  predict(x: tf.Tensor): tf.Tensor;
  /** forward up to the named layer/node, returns its 4-D output */
  activations(x: tf.Tensor, layer: string): tf.Tensor;
  /** run the model with the layer's output replaced by `a` (x is still needed for skip paths) */
  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor;
  /** activations, d(score)/dA and the output, in one tidy; score(output) returns a scalar (sum over the batch) */
  capture(x: tf.Tensor, layer: string, score: ScoreFn): CaptureResult;
  /** gradient of score(output) with respect to the input batch (saliency / guided backprop) */
  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor };
  /** candidate layer names in order; the automatic target layer for input x */
  layerNames(): string[];
  defaultLayer(x: tf.Tensor): string;
  /** layerNames() with each output shape (static, or from one dry run on x; null when unknown) and kind (layer class, graph op, 'hook') */
  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[];
}

/** The hook a plain function calls at the points it wants to expose: `t = hook('block3', t)`. */
export type Hook = (name: string, t: tf.Tensor) => tf.Tensor;
export type ModelFunction = (x: tf.Tensor, hook?: Hook) => tf.Tensor;

export interface AdapterOptions extends ShimOptions {
  /** GraphModel: input node name (default: the model's only input). */
  inputName?: string;
  /** GraphModel: output node name (default: the model's first output). */
  outputName?: string;
  /** Function: the names it passes to its hook, in order (default: found by one dry run). */
  layerNames?: string[];
}

export type ExplainableModel = LayersModel | GraphModel | ModelFunction;

/** Name of the pseudo-layer every adapter accepts: the model input itself. */
export const INPUT_LAYER = 'input';

// ---------------------------------------------------------------------------------------------
// Helpers shared by the three adapters.

function checkInput(x: tf.Tensor): void {
  if (!x || typeof (x as { dataSync?: unknown }).dataSync !== 'function') throw new InputError('E_SHAPE', 'The input must be a tf.Tensor.');
  if (x.isDisposed) throw new InputError('E_DISPOSED', 'The input tensor is disposed.');
  if (x.shape.some((d) => d === 0)) throw new InputError('E_EMPTY', `The input has a zero-sized dimension: [${x.shape}].`);
}

/** The returned tensor must be one the caller may dispose; never hand back the caller's own input. */
const own = (t: tf.Tensor, x: tf.Tensor): tf.Tensor => (t === x ? t.clone() : t);

/** Runs one gradient computation with the shims, and without leaks when it throws. */
function guarded<T>(what: string, opts: ShimOptions, fn: () => T): T {
  try {
    return withCaptureShims(fn, opts);
  } catch (e) {
    throw asModelError(e, what);
  }
}

/** `out` is kept past the gradient's inner tidy; dispose it if anything fails after. */
function gradWithOutput(f: (v: tf.Tensor) => tf.Tensor, score: ScoreFn, v: tf.Tensor): { grad: tf.Tensor; output: tf.Tensor } {
  let output: tf.Tensor | null = null;
  try {
    const g = tf.grad((a: tf.Tensor) => {
      const out = f(a);
      output = tf.keep(out);
      const s = score(out);
      if (!s || s.rank !== 0) throw new InputError('E_SHAPE', `The score function must return a scalar, got rank ${s?.rank}.`);
      preflightTape();
      return s;
    })(v);
    // Kept tensors escape every tidy; hand back an ordinary one so enclosing tidies own it.
    return { grad: g, output: unkeep(output as unknown as tf.Tensor) };
  } catch (e) {
    (output as tf.Tensor | null)?.dispose();
    throw e;
  }
}

/** An ordinary copy of a kept tensor (kept tensors escape every tidy); the kept one is released. */
function unkeep(t: tf.Tensor): tf.Tensor {
  const c = t.clone();
  t.dispose();
  return c;
}

/** The last name whose output is a 4-D feature map with more than one spatial position. */
function lastFeatureMap(names: string[], shapeOf: (n: string) => (number | null)[] | null): string | null {
  for (let i = names.length - 1; i >= 0; i--) {
    const s = shapeOf(names[i]);
    if (s && s.length === 4 && !(s[1] === 1 && s[2] === 1)) return names[i];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// LayersModel

interface SymbolicLike {
  id: number;
  shape: (number | null)[];
  sourceLayer: LayerLike;
  inputs: SymbolicLike[];
  callArgs: Record<string, unknown>;
}
interface NodeLike {
  outputTensors: SymbolicLike[];
}
interface LayerLike {
  name: string;
  inboundNodes: NodeLike[];
  outputShape?: unknown;
  layers?: LayerLike[];
  call: (inputs: unknown, kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
  apply(inputs: unknown, kwargs?: Record<string, unknown>): unknown;
  getClassName(): string;
}
interface LayersModelLike extends LayerLike {
  inputs: SymbolicLike[];
  outputs: SymbolicLike[];
  layers: LayerLike[];
  getLayer(name: string): LayerLike;
}

/** Evaluates symbolic tensors on concrete values, in inference mode; `vals` caches every result. */
function runGraph(outputs: SymbolicLike[], vals: Map<number, tf.Tensor>): tf.Tensor[] {
  const ev = (st: SymbolicLike): tf.Tensor => {
    const hit = vals.get(st.id);
    if (hit) return hit;
    const ins = st.inputs.map(ev);
    const out = st.sourceLayer.apply(ins.length === 1 ? ins[0] : ins, { ...st.callArgs, training: false }) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const node = st.sourceLayer.inboundNodes.find((n) => n.outputTensors.some((t) => t.id === st.id));
    if (!node) throw new ModelError('E_MODEL', `Layer '${st.sourceLayer.name}' has no node producing tensor ${st.id}.`);
    node.outputTensors.forEach((t, i) => vals.set(t.id, outs[i]));
    return vals.get(st.id)!;
  };
  return outputs.map(ev);
}

function isContainer(l: LayerLike): boolean {
  return Array.isArray(l.layers) && l.layers.length > 0 && typeof (l as Partial<LayersModelLike>).getLayer === 'function';
}

function staticShape(l: LayerLike): (number | null)[] | null {
  try {
    const s = l.outputShape as unknown;
    if (Array.isArray(s) && (s.length === 0 || !Array.isArray(s[0]))) return s as (number | null)[];
    if (Array.isArray(s) && Array.isArray(s[0])) return s[0] as (number | null)[];
  } catch {
    /* multiple inbound nodes with different shapes: unknown */
  }
  return null;
}

type Site =
  | { how: 'substitute'; st: SymbolicLike }
  | { how: 'probe'; layer: LayerLike; path: string[] }
  | { how: 'input' };

class LayersAdapter implements ModelAdapter {
  readonly kind = 'layers' as const;
  private readonly m: LayersModelLike;
  private readonly reachable: Set<number>;
  private readonly nested = new Map<string, { layer: LayerLike; path: string[] }>();
  constructor(
    model: LayersModel,
    private readonly opts: AdapterOptions,
  ) {
    this.m = model as unknown as LayersModelLike;
    if (!Array.isArray(this.m.inputs) || !Array.isArray(this.m.outputs)) {
      throw new ModelError('E_MODEL', 'The model is not built yet (a Sequential without inputShape): run predict once or give the first layer an inputShape.');
    }
    if (this.m.inputs.length !== 1) throw new ModelError('E_MODEL', `camkit explains single-input models; this one has ${this.m.inputs.length} inputs.`);
    // The symbolic tensors of this model's graph (a layer may also have nodes in other models).
    this.reachable = new Set();
    const stack = [...this.m.outputs];
    while (stack.length) {
      const st = stack.pop()!;
      if (this.reachable.has(st.id)) continue;
      this.reachable.add(st.id);
      stack.push(...st.inputs);
    }
    const walk = (c: LayerLike, path: string[]) => {
      for (const l of c.layers ?? []) {
        if (l.getClassName() === 'InputLayer') continue;
        if (!this.nested.has(l.name)) this.nested.set(l.name, { layer: l, path: [...path, l.name] });
        if (isContainer(l)) walk(l, [...path, l.name]);
      }
    };
    for (const l of this.m.layers) if (isContainer(l)) walk(l, [l.name]);
  }

  private topLevel(name: string): LayerLike | null {
    return this.m.layers.find((l) => l.name === name) ?? null;
  }

  private site(layer: string): Site {
    if (layer === INPUT_LAYER && !this.topLevel(layer)) return { how: 'input' };
    // `name@k` picks the k-th call of a shared layer inside this model (default: the last one).
    const at = /^(.*)@(\d+)$/.exec(layer);
    const name = at && !this.topLevel(layer) ? at[1] : layer;
    const top = this.topLevel(name);
    if (top) {
      const sts = top.inboundNodes.flatMap((n) => n.outputTensors.slice(0, 1)).filter((st) => this.reachable.has(st.id));
      if (this.m.inputs.some((i) => sts.some((s) => s.id === i.id))) return { how: 'input' };
      if (!sts.length) throw new ModelError('E_MODEL', `Layer '${name}' is not on the path from the input to the output.`);
      const k = at && name !== layer ? Number(at[2]) : sts.length - 1;
      if (k >= sts.length) throw new ModelError('E_MODEL', `Layer '${name}' is called ${sts.length} time(s) in this model; '@${k}' does not exist.`);
      return { how: 'substitute', st: sts[k] };
    }
    const n = this.nested.get(name);
    if (n) return { how: 'probe', ...n };
    throw new NameError('layer', layer, this.layerNames());
  }

  predict(x: tf.Tensor): tf.Tensor {
    checkInput(x);
    return tf.tidy(() => this.m.apply(x, { training: false }) as tf.Tensor);
  }

  activations(x: tf.Tensor, layer: string): tf.Tensor {
    checkInput(x);
    const s = this.site(layer);
    if (s.how === 'input') return x.clone();
    if (s.how === 'substitute') return tf.tidy(() => own(runGraph([s.st], this.feeds(x))[0], x));
    return tf.tidy(() => {
      let got: tf.Tensor | null = null;
      // Kept: the nested model runs in its own tidy, and its executor disposes intermediates.
      this.probe(s.layer, (o) => {
        got ??= tf.keep(o.clone());
        return o;
      }, () => tf.dispose(this.m.apply(x, { training: false }) as tf.Tensor));
      if (!got) throw new ModelError('E_MODEL', `Layer '${layer}' did not run during the forward pass.`);
      return unkeep(got);
    });
  }

  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor {
    checkInput(x);
    const s = this.site(layer);
    if (s.how === 'input') return this.predict(a);
    if (s.how === 'substitute') {
      return tf.tidy(() => {
        const vals = this.feeds(x);
        vals.set(s.st.id, a);
        return own(runGraph([this.m.outputs[0]], vals)[0], a);
      });
    }
    return tf.tidy(() => {
      let first = true;
      return this.probe(s.layer, (o) => {
        if (!first) return o;
        first = false;
        return a.clone(); // the executor may dispose what a layer returns; never the caller's tensor
      }, () => this.m.apply(x, { training: false }) as tf.Tensor);
    });
  }

  capture(x: tf.Tensor, layer: string, score: ScoreFn): CaptureResult {
    checkInput(x);
    const s = this.site(layer);
    if (s.how === 'input') {
      const r = this.inputGradient(x, score);
      return { activations: x.clone(), gradients: r.gradients, output: r.output };
    }
    return guarded(`Capturing gradients at '${layer}'`, this.opts, () =>
      withBatchNormShim(this.m, () => {
        if (s.how === 'substitute') {
          return tf.tidy(() => {
            const up = this.feeds(x);
            const A = runGraph([s.st], up)[0];
            const { grad, output } = gradWithOutput(
              (a) => {
                const vals = new Map(up);
                vals.set(s.st.id, a);
                return runGraph([this.m.outputs[0]], vals)[0];
              },
              score,
              A,
            );
            return { activations: own(A, x), gradients: grad, output };
          });
        }
        return tf.tidy(() => this.probeCapture(x, s.layer, layer, score));
      }),
    );
  }

  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor } {
    checkInput(x);
    return guarded('Computing the input gradient', this.opts, () =>
      withBatchNormShim(this.m, () =>
        tf.tidy(() => {
          const { grad, output } = gradWithOutput((v) => this.m.apply(v, { training: false }) as tf.Tensor, score, x);
          return { gradients: grad, output };
        }),
      ),
    );
  }

  /** Probe: the whole forward is taped; a scalar added at the layer's first call carries dScore/dA out. */
  private probeCapture(x: tf.Tensor, layer: LayerLike, name: string, score: ScoreFn): CaptureResult {
    let A: tf.Tensor | null = null;
    let G: tf.Tensor | null = null;
    const hook = tf.customGrad(((a: tf.Tensor, s: tf.Tensor) => ({
      value: tf.add(a, s),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        G = tf.keep(d.clone());
        return [d, tf.sum(d)];
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, s: tf.Tensor) => tf.Tensor;
    const zero = tf.scalar(0);
    try {
      const { output } = gradWithOutput(
        (s) =>
          this.probe(layer, (o) => {
            if (A) return o;
            A = tf.keep(o.clone());
            return hook(o, s);
          }, () => this.m.apply(x, { training: false }) as tf.Tensor),
        score,
        zero,
      );
      if (!A || !G) {
        (output as tf.Tensor).dispose();
        throw new ModelError('E_MODEL', `Layer '${name}' did not run during the forward pass, or the score does not depend on it.`);
      }
      return { activations: unkeep(A as tf.Tensor), gradients: unkeep(G as tf.Tensor), output };
    } catch (e) {
      (A as tf.Tensor | null)?.dispose();
      (G as tf.Tensor | null)?.dispose();
      throw e;
    }
  }

  /** Wraps `layer.call` for the duration of `run` (synchronous, restored in finally). */
  private probe<T>(layer: LayerLike, wrap: (o: tf.Tensor) => tf.Tensor, run: () => T): T {
    const own = Object.prototype.hasOwnProperty.call(layer, 'call');
    const orig = layer.call;
    layer.call = function (this: LayerLike, inputs, kwargs) {
      const o = orig.call(this, inputs, kwargs);
      return Array.isArray(o) ? [wrap(o[0]), ...o.slice(1)] : wrap(o);
    };
    try {
      return run();
    } finally {
      if (own) layer.call = orig;
      else delete (layer as Partial<LayerLike>).call;
    }
  }

  private feeds(x: tf.Tensor): Map<number, tf.Tensor> {
    return new Map([[this.m.inputs[0].id, x]]);
  }

  layerNames(): string[] {
    const names: string[] = [];
    for (const l of this.m.layers) {
      if (l.getClassName() === 'InputLayer') continue;
      names.push(l.name);
      if (isContainer(l)) for (const [n, v] of this.nested) if (v.path[0] === l.name && n !== l.name) names.push(n);
    }
    return names;
  }

  defaultLayer(x: tf.Tensor): string {
    const top = this.m.layers.filter((l) => l.getClassName() !== 'InputLayer');
    const pick = lastFeatureMap(
      top.map((l) => l.name),
      (n) => staticShape(this.topLevel(n)!),
    );
    if (pick) return pick;
    // No top-level feature map: look inside nested sub-models (e.g. a backbone that ends in pooling).
    const inner = lastFeatureMap(
      [...this.nested.keys()].filter((n) => !isContainer(this.nested.get(n)!.layer)),
      (n) => staticShape(this.nested.get(n)!.layer),
    );
    if (inner) return inner;
    void x;
    throw new ModelError('E_MODEL', 'The model has no 4-D feature map to explain; pass `layer` explicitly.');
  }

  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[] {
    void x; // static shapes
    return this.layerNames().map((name) => {
      const l = this.topLevel(name) ?? this.nested.get(name)!.layer;
      return { name, shape: staticShape(l), kind: l.getClassName() };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// GraphModel (tfjs-converter)

interface GraphNodeLike {
  name: string;
  op: string;
}
interface GraphModelLike {
  inputs: { name: string }[];
  outputs: { name: string }[];
  execute(inputs: Record<string, tf.Tensor>, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
  executor?: { graph?: { nodes?: Record<string, GraphNodeLike> } };
}

const SKIP_OPS = new Set(['Const', 'Placeholder', 'NoOp', 'Identity', 'Shape', 'Pack', 'StridedSlice']);

function graphError(e: unknown): unknown {
  const msg = String((e as Error)?.message ?? e);
  if (/executeAsync/.test(msg)) {
    return new ModelError('E_MODEL', `This GraphModel needs executeAsync (control flow or dynamic ops), which cannot be differentiated: ${msg}`, { cause: e });
  }
  if (/not part of graph|Cannot compute the outputs/.test(msg)) return new ModelError('E_MODEL', msg, { cause: e });
  return e;
}

class GraphAdapter implements ModelAdapter {
  readonly kind = 'graph' as const;
  private readonly m: GraphModelLike;
  private readonly inName: string;
  private readonly outName: string;
  private readonly shapes = new Map<string, Map<string, number[]>>();
  constructor(
    model: GraphModel,
    private readonly opts: AdapterOptions,
  ) {
    this.m = model as unknown as GraphModelLike;
    if (!opts.inputName && this.m.inputs.length !== 1) {
      throw new ModelError('E_MODEL', `This GraphModel has ${this.m.inputs.length} inputs; pass inputName.`);
    }
    this.inName = opts.inputName ?? this.m.inputs[0].name;
    this.outName = opts.outputName ?? this.m.outputs[0].name;
  }

  private exec(feeds: Record<string, tf.Tensor>, out: string): tf.Tensor {
    try {
      const r = this.m.execute(feeds, out);
      return Array.isArray(r) ? r[0] : r;
    } catch (e) {
      throw graphError(e);
    }
  }

  private check(layer: string): void {
    if (layer === INPUT_LAYER || layer === this.inName) return;
    const nodes = this.m.executor?.graph?.nodes;
    const base = layer.replace(/:\d+$/, '');
    if (nodes && !nodes[base]) throw new NameError('node', layer, this.layerNames());
  }

  predict(x: tf.Tensor): tf.Tensor {
    checkInput(x);
    return tf.tidy(() => own(this.exec({ [this.inName]: x }, this.outName), x));
  }

  activations(x: tf.Tensor, layer: string): tf.Tensor {
    checkInput(x);
    this.check(layer);
    if (layer === INPUT_LAYER || layer === this.inName) return x.clone();
    return tf.tidy(() => own(this.exec({ [this.inName]: x }, layer), x));
  }

  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor {
    checkInput(x);
    this.check(layer);
    if (layer === INPUT_LAYER || layer === this.inName) return this.predict(a);
    // Feeding the input too lets the executor recompute skip paths that bypass the node.
    return tf.tidy(() => own(this.exec({ [this.inName]: x, [layer]: a }, this.outName), a));
  }

  capture(x: tf.Tensor, layer: string, score: ScoreFn): CaptureResult {
    checkInput(x);
    this.check(layer);
    if (layer === INPUT_LAYER || layer === this.inName) {
      const r = this.inputGradient(x, score);
      return { activations: x.clone(), gradients: r.gradients, output: r.output };
    }
    return guarded(`Capturing gradients at '${layer}'`, this.opts, () =>
      tf.tidy(() => {
        // Forward to A outside the tape: an executeAsync-only graph fails here, before any grad.
        const A = this.exec({ [this.inName]: x }, layer);
        const { grad, output } = gradWithOutput((a) => this.exec({ [this.inName]: x, [layer]: a }, this.outName), score, A);
        return { activations: own(A, x), gradients: grad, output };
      }),
    );
  }

  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor } {
    checkInput(x);
    return guarded('Computing the input gradient', this.opts, () =>
      tf.tidy(() => {
        tf.dispose(this.exec({ [this.inName]: x }, this.outName)); // executeAsync-only graphs fail here, untaped
        const { grad, output } = gradWithOutput((v) => this.exec({ [this.inName]: v }, this.outName), score, x);
        return { gradients: grad, output };
      }),
    );
  }

  layerNames(): string[] {
    const nodes = this.m.executor?.graph?.nodes;
    if (!nodes) return [];
    return Object.values(nodes)
      .filter((n) => !SKIP_OPS.has(n.op) && n.name !== this.inName)
      .map((n) => n.name);
  }

  /** Ranks and shapes are only known by running: one dry execute of every candidate, cached per input shape. */
  private shapesFor(x: tf.Tensor): Map<string, number[]> {
    const key = x.shape.join('x');
    let m = this.shapes.get(key);
    if (!m) {
      const names = this.layerNames();
      const got = new Map<string, number[]>();
      tf.tidy(() => {
        let outs: tf.Tensor[];
        try {
          const r = this.m.execute({ [this.inName]: x }, names);
          outs = Array.isArray(r) ? r : [r];
        } catch (e) {
          throw graphError(e);
        }
        names.forEach((n, i) => got.set(n, outs[i].shape));
      });
      m = got;
      this.shapes.set(key, m);
    }
    return m;
  }

  defaultLayer(x: tf.Tensor): string {
    checkInput(x);
    const shapes = this.shapesFor(x);
    const pick = lastFeatureMap(this.layerNames(), (n) => shapes.get(n) ?? null);
    if (!pick) throw new ModelError('E_MODEL', 'The graph has no 4-D feature map to explain; pass `layer` explicitly.');
    return pick;
  }

  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[] {
    checkInput(x);
    const shapes = this.shapesFor(x);
    const nodes = this.m.executor?.graph?.nodes ?? {};
    return this.layerNames().map((name) => ({ name, shape: shapes.get(name) ?? null, kind: nodes[name]?.op ?? 'node' }));
  }
}

// ---------------------------------------------------------------------------------------------
// Plain functions

class FunctionAdapter implements ModelAdapter {
  readonly kind = 'function' as const;
  private names: string[] | null;
  constructor(
    private readonly fn: ModelFunction,
    private readonly opts: AdapterOptions,
  ) {
    this.names = opts.layerNames ?? null;
  }

  private run(x: tf.Tensor, hook?: Hook): tf.Tensor {
    return this.fn(x, hook ?? ((_n, t) => t));
  }

  private check(layer: string, x: tf.Tensor): void {
    if (layer === INPUT_LAYER) return;
    if (!this.names) this.discover(x); // the hook names are only known by running the function once
    const names = this.layerNames();
    if (!names.includes(layer)) throw new NameError('layer', layer, [INPUT_LAYER, ...names]);
  }

  predict(x: tf.Tensor): tf.Tensor {
    checkInput(x);
    return tf.tidy(() => own(this.run(x), x));
  }

  activations(x: tf.Tensor, layer: string): tf.Tensor {
    checkInput(x);
    this.check(layer, x);
    if (layer === INPUT_LAYER) return x.clone();
    return tf.tidy(() => {
      let got: tf.Tensor | null = null;
      this.run(x, (n, t) => {
        if (n === layer && !got) got = t;
        return t;
      });
      if (!got) throw new ModelError('E_MODEL', `The function did not call hook('${layer}', …) on this input.`);
      return own(got, x);
    });
  }

  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor {
    checkInput(x);
    this.check(layer, x);
    if (layer === INPUT_LAYER) return this.predict(a);
    return tf.tidy(() => {
      let done = false;
      const out = this.run(x, (n, t) => {
        if (n !== layer || done) return t;
        done = true;
        return a;
      });
      if (!done) throw new ModelError('E_MODEL', `The function did not call hook('${layer}', …) on this input.`);
      return own(out, a);
    });
  }

  capture(x: tf.Tensor, layer: string, score: ScoreFn): CaptureResult {
    checkInput(x);
    this.check(layer, x);
    if (layer === INPUT_LAYER) {
      const r = this.inputGradient(x, score);
      return { activations: x.clone(), gradients: r.gradients, output: r.output };
    }
    // Substitution through the hook: forward to A untaped, then tape only the run with A swapped in.
    return guarded(`Capturing gradients at '${layer}'`, this.opts, () =>
      tf.tidy(() => {
        const A = this.activations(x, layer);
        const { grad, output } = gradWithOutput((a) => this.forwardFromTaped(x, layer, a), score, A);
        return { activations: A, gradients: grad, output };
      }),
    );
  }

  private forwardFromTaped(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor {
    let done = false;
    return this.run(x, (n, t) => {
      if (n !== layer || done) return t;
      done = true;
      return a;
    });
  }

  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor } {
    checkInput(x);
    return guarded('Computing the input gradient', this.opts, () =>
      tf.tidy(() => {
        const { grad, output } = gradWithOutput((v) => this.run(v), score, x);
        return { gradients: grad, output: own(output, x) };
      }),
    );
  }

  layerNames(): string[] {
    return this.names ?? [];
  }

  /** Records the names and shapes the function passes to its hook, in call order. */
  private discover(x: tf.Tensor): { name: string; shape: number[] }[] {
    const seen: { name: string; shape: number[] }[] = [];
    tf.tidy(() => {
      this.run(x, (n, t) => {
        if (!seen.some((s) => s.name === n)) seen.push({ name: n, shape: t.shape });
        return t;
      });
    });
    if (!this.names) this.names = seen.map((s) => s.name);
    return seen;
  }

  private readonly defaults = new Map<string, string>();

  defaultLayer(x: tf.Tensor): string {
    checkInput(x);
    // One dry run per input shape, not per call.
    const key = x.shape.join('x');
    const hit = this.defaults.get(key);
    if (hit) return hit;
    const seen = this.discover(x);
    const pick = lastFeatureMap(
      seen.map((s) => s.name),
      (n) => seen.find((s) => s.name === n)!.shape,
    );
    this.defaults.set(key, pick ?? INPUT_LAYER);
    return pick ?? INPUT_LAYER;
  }

  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[] {
    checkInput(x);
    return this.discover(x).map((s) => ({ name: s.name, shape: s.shape, kind: 'hook' }));
  }
}

// ---------------------------------------------------------------------------------------------

const adapters = new WeakMap<object, ModelAdapter>();

/** Duck-typed: the model may come from another copy of tfjs than camkit's. */
export function modelKind(model: unknown): 'layers' | 'graph' | 'function' | null {
  if (typeof model === 'function') return 'function';
  if (!model || typeof model !== 'object') return null;
  const m = model as Record<string, unknown>;
  if (typeof m.getLayer === 'function' && Array.isArray(m.layers) && Array.isArray(m.outputs)) return 'layers';
  if (typeof m.execute === 'function' && typeof m.executeAsync === 'function') return 'graph';
  return null;
}

/** Wraps a LayersModel, GraphModel or function `(x, hook?) => output` for explanation. */
export function createAdapter(model: ExplainableModel | ModelAdapter, opts: AdapterOptions = {}): ModelAdapter {
  if (isAdapter(model)) return model;
  const kind = modelKind(model);
  if (!kind) throw new ModelError('E_MODEL', 'Expected a tf.LayersModel, a tf.GraphModel or a function (x, hook?) => tensor.');
  const cacheable = Object.keys(opts).length === 0;
  if (cacheable) {
    const hit = adapters.get(model as object);
    if (hit) return hit;
  }
  const a =
    kind === 'layers'
      ? new LayersAdapter(model as LayersModel, opts)
      : kind === 'graph'
        ? new GraphAdapter(model as GraphModel, opts)
        : new FunctionAdapter(model as ModelFunction, opts);
  if (cacheable) adapters.set(model as object, a);
  return a;
}

export function isAdapter(m: unknown): m is ModelAdapter {
  const a = m as Partial<ModelAdapter> | null;
  return !!a && typeof a === 'object' && (a.kind === 'layers' || a.kind === 'graph' || a.kind === 'function') && typeof a.capture === 'function';
}
