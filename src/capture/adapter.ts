// One interface over the three kinds of tfjs image model camkit explains. Every method is
// synchronous, runs in a tidy and returns only tensors the caller owns (never the caller's input).
// LayersModel: "substitute" (re-run the SymbolicTensor graph with the target's output swapped in,
// taping only what follows it), with a "probe" (a temporary `call` wrapper) for layers inside nested
// sub-models. GraphModel: feed {input, [node]: A} to execute(). Functions: capture at the input, or at
// points the function exposes through a `hook`. Sub-models are never rebuilt by re-applying layers:
// that adds inbound nodes and ref-counts to the user's model and breaks its dispose().
// Any output can be explained (`output`); on multi-input models the first input (or `inputName`)
// is explained and the others are fed, held fixed, from `inputs`.
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel, LayersModel } from '@tensorflow/tfjs';
import { closest, InputError, ModelError, NameError, OptionError } from '../errors.js';
import { asModelError, preflightTape, withBatchNormShim, withCaptureShims, type ShimOptions } from './shims.js';
import { autoLayer, ancestors, type GraphView } from './autolayer.js';

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
  /** The name of the output explained (a function's: its record key, or the index as text). */
  outputName(): string;
  /** Every output's name, in model order (a function's are known once it has run). */
  outputNames(): string[];
  /** inference-mode forward (training:false); returns the model output [N, classes] (or any tensor for custom scores) */
  predict(x: tf.Tensor): tf.Tensor;
  /** forward up to the named layer/node, returns its 4-D output */
  activations(x: tf.Tensor, layer: string): tf.Tensor;
  /** run the model with the layer's output replaced by `a` (x is still needed for skip paths) */
  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor;
  /**
   * activations, d(score)/dA and the output, in one tidy; score(output) returns a scalar (sum over the batch).
   * `edit`: the rest of the forward pass runs on edit(A) instead of A, and the gradients are taken there
   * (the activations returned stay A): ShapleyCAM's finite differences along A.
   */
  capture(x: tf.Tensor, layer: string, score: ScoreFn, edit?: Edit): CaptureResult;
  /**
   * What runs between `layer` and the explained output (layer classes / graph ops, with a fused or
   * configured activation), or null when the adapter cannot tell (functions, layers inside nested models).
   */
  headOps?(layer: string): HeadOp[] | null;
  /** gradient of score(output) with respect to the input batch (saliency / guided backprop) */
  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor };
  /** candidate layer names in order; the automatic target layer for input x */
  layerNames(): string[];
  defaultLayer(x: tf.Tensor): string;
  /** layerNames() with each output shape (static, or from one dry run on x; null when unknown) and kind (layer class, graph op, 'hook') */
  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[];
  /** The output shape of every candidate layer for input x (GraphModels: those the output depends on, one dry run, cached). */
  layerShapes(x: tf.Tensor): Map<string, number[]>;
  /** GraphModels: the op of a node (e.g. 'Softmax'); LayersModels: the layer's class; null for functions. */
  layerOp(name: string): string | null;
  /** The names in the order the forward pass computes them (graph depth; a function's hook order). */
  order(names: readonly string[]): string[];
  /** The tf.LayersModel behind a LayersModel adapter (methods that read layer weights: FullGrad). */
  layersModel?(): LayersModel | undefined;
  /** The tf.GraphModel behind a GraphModel adapter (FullGrad reads its bias constants). */
  graphModel?(): GraphModel | undefined;
}

/** A change of a layer's activations for the rest of the forward pass (ModelAdapter.capture). */
export type Edit = (a: tf.Tensor) => tf.Tensor;

/** One operation between a layer and the output: a layer class or graph op, its activation, whether it combines two tensors that depend on the layer. */
export interface HeadOp {
  op: string;
  activation?: string;
  /** A product / quotient / matmul of two operands that both depend on the layer (bilinear: curvature). */
  bilinear?: boolean;
}

/** The hook a plain function calls at the points it wants to expose: `t = hook('block3', t)`. */
export type Hook = (name: string, t: tf.Tensor) => tf.Tensor;
/** A model as a function; several outputs as an array or a record of named tensors. */
export type ModelFunction = (x: tf.Tensor, hook?: Hook) => tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

/** The inputs held fixed: by input name, or in model order with the explained input left out. */
export type FixedInputs = Readonly<Record<string, tf.Tensor>> | readonly tf.Tensor[];

export interface AdapterOptions extends ShimOptions {
  /** The input explained (a GraphModel input node or a LayersModel input layer name); default the first. */
  inputName?: string;
  /** GraphModel: output node name (default: the model's first output); `output` is the general form. */
  outputName?: string;
  /**
   * The output to explain: its name (a GraphModel output, or any node, a LayersModel output layer,
   * a key of the record a function returns) or its index. Default: the first (or only) output.
   */
  output?: string | number;
  /**
   * Multi-input models: the inputs other than the explained one, held fixed while it is explained;
   * by name or in model order. Each has batch 1 (shared by every image) or the explained input's batch.
   */
  inputs?: FixedInputs;
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

/**
 * The nodes after `start` (excluded) on the way to `target` (included): descendants of start that
 * target depends on; and for each, how many of its inputs depend on start.
 */
function headNodes(g: GraphView, start: readonly string[], target: string): { nodes: Set<string>; dependentInputs(n: string): number } {
  const up = ancestors(g, target);
  up.add(target);
  const children = new Map<string, string[]>();
  for (const n of g.nodes) for (const i of g.inputsOf(n)) children.set(i, [...(children.get(i) ?? []), n]);
  const down = new Set<string>(start);
  const stack = [...start];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (down.has(c)) continue;
      down.add(c);
      stack.push(c);
    }
  }
  const nodes = new Set([...down].filter((n) => up.has(n) && !start.includes(n)));
  return { nodes, dependentInputs: (n) => g.inputsOf(n).filter((i) => down.has(i)).length };
}

/** capture() at the input: the input gradient at edit(x) (or x), with x as the activations. */
function inputCapture(ad: Pick<ModelAdapter, 'inputGradient'>, x: tf.Tensor, score: ScoreFn, edit?: Edit): CaptureResult {
  const xe = edit ? tf.tidy(() => edit(x)) : x;
  try {
    const r = ad.inputGradient(xe, score);
    return { activations: x.clone(), gradients: r.gradients, output: r.output };
  } finally {
    if (xe !== x) xe.dispose();
  }
}

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

/** Picks the explained output among a model's outputs (names in model order). */
function outputIndex(names: readonly string[], output: string | number | undefined, what: string): number {
  if (output === undefined) return 0;
  if (typeof output === 'number') {
    if (Number.isInteger(output) && output >= 0 && output < names.length) return output;
    throw new OptionError(`output ${output} is out of range: ${what} has ${names.length} output(s): ${names.map((n, i) => `${i} '${n}'`).join(', ')}.`);
  }
  const i = names.indexOf(output);
  if (i < 0) throw unknownOutput(output, names);
  return i;
}

function unknownOutput(name: string, names: readonly string[]): NameError {
  const post = ['normalised', 'raw', 'signed'].includes(name) ? ` ('${name}' is a map scaling: pass it as \`values\`)` : '';
  const near = closest(name, names);
  const hint = near.length ? ` Did you mean ${near.map((s) => `'${s}'`).join(' or ')}?` : '';
  return new NameError('output', name, names, `Unknown output '${name}'${post}.${hint} Outputs: ${names.map((n) => `'${n}'`).join(', ')}.`);
}

/** A fixed input at the batch of x: as is, or a batch-1 input repeated (call inside a tidy). */
function atBatch(t: tf.Tensor, b: number, name: string): tf.Tensor {
  if (t.isDisposed) throw new InputError('E_DISPOSED', `Input '${name}' is disposed.`);
  const tb = t.shape[0];
  if (tb === b) return t;
  if (tb === 1) return tf.tile(t, [b, ...new Array<number>(t.rank - 1).fill(1)]);
  throw new InputError('E_SHAPE', `Input '${name}' has batch ${tb}; it must be 1 (shared by every image) or ${b}, the explained input's.`);
}

/**
 * Resolves `inputs` against the model's input names: every input but the explained one, by name.
 * Missing ones are E_MISSING, unknown names NameError, extra positional ones E_OPTION.
 */
function fixedInputs(names: readonly string[], explained: string, given: FixedInputs | undefined): Map<string, tf.Tensor> {
  const others = names.filter((n) => n !== explained);
  const out = new Map<string, tf.Tensor>();
  if (given === undefined || given === null) {
    if (others.length) throw new InputError('E_MISSING', `The model has ${names.length} inputs; '${explained}' is explained, pass the others (${others.map((n) => `'${n}'`).join(', ')}) as \`inputs\`.`);
    return out;
  }
  const isTensor = (t: unknown): t is tf.Tensor => !!t && typeof (t as tf.Tensor).dataSync === 'function' && Array.isArray((t as tf.Tensor).shape);
  if (Array.isArray(given)) {
    if (given.length !== others.length) {
      throw new OptionError(`inputs has ${given.length} tensor(s); the model's other inputs are ${others.length}: ${others.map((n) => `'${n}'`).join(', ')} (in this order).`);
    }
    others.forEach((n, i) => out.set(n, given[i] as tf.Tensor));
  } else {
    for (const [k, v] of Object.entries(given as Record<string, tf.Tensor>)) {
      if (k === explained) throw new OptionError(`'${k}' is the explained input: pass it as the input tensor, not in \`inputs\`.`);
      if (!others.includes(k)) throw new NameError('input', k, others);
      out.set(k, v);
    }
    const missing = others.filter((n) => !out.has(n));
    if (missing.length) throw new InputError('E_MISSING', `inputs lacks ${missing.map((n) => `'${n}'`).join(', ')}.`);
  }
  for (const [k, v] of out) {
    if (!isTensor(v)) throw new InputError('E_SHAPE', `inputs['${k}'] must be a tf.Tensor.`);
    if (v.isDisposed) throw new InputError('E_DISPOSED', `Input '${k}' is disposed.`);
    if (v.rank === 0) throw new InputError('E_SHAPE', `Input '${k}' needs a batch dimension, got a scalar.`);
  }
  return out;
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
  /** Symbolic tensors the explained output depends on (itself included). */
  private readonly reachable: Set<number>;
  private readonly nested = new Map<string, { layer: LayerLike; path: string[] }>();
  private readonly inIndex: number;
  private readonly outIndex: number;
  private readonly fixed: Map<string, tf.Tensor>;
  constructor(
    model: LayersModel,
    private readonly opts: AdapterOptions,
  ) {
    this.m = model as unknown as LayersModelLike;
    if (!Array.isArray(this.m.inputs) || !Array.isArray(this.m.outputs)) {
      throw new ModelError('E_MODEL', 'The model is not built yet (a Sequential without inputShape): run predict once or give the first layer an inputShape.');
    }
    const inNames = this.inputNames();
    this.inIndex = opts.inputName === undefined ? 0 : inNames.indexOf(opts.inputName);
    if (this.inIndex < 0) throw new NameError('input', opts.inputName!, inNames);
    this.fixed = fixedInputs(inNames, inNames[this.inIndex], opts.inputs);
    if (opts.outputName !== undefined && opts.output !== undefined && opts.output !== opts.outputName) throw new OptionError('Pass either output or outputName, not both.');
    this.outIndex = outputIndex(this.outputNames(), opts.output ?? opts.outputName, 'this model');
    // The symbolic tensors of the explained output's graph (a layer may also have nodes in other models).
    this.reachable = new Set();
    const stack = [this.m.outputs[this.outIndex]];
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

  private inputNames(): string[] {
    return (this.m as unknown as { inputNames?: string[] }).inputNames ?? this.m.inputs.map((i) => i.sourceLayer.name);
  }

  outputNames(): string[] {
    return (this.m as unknown as { outputNames?: string[] }).outputNames ?? this.m.outputs.map((o) => o.sourceLayer.name);
  }

  layersModel(): LayersModel {
    return this.m as unknown as LayersModel;
  }

  outputName(): string {
    return this.outputNames()[this.outIndex];
  }

  private get outSt(): SymbolicLike {
    return this.m.outputs[this.outIndex];
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
      const all = top.inboundNodes.flatMap((n) => n.outputTensors.slice(0, 1));
      const explained = this.m.inputs[this.inIndex];
      if (all.some((s) => s.id === explained.id)) return { how: 'input' };
      if (this.m.inputs.some((i) => all.some((s) => s.id === i.id))) throw new ModelError('E_MODEL', `'${name}' is an input held fixed; explain it by passing it as the input (inputName).`);
      const sts = all.filter((st) => this.reachable.has(st.id));
      if (!sts.length) {
        const other = this.m.outputs.length > 1 ? ` '${this.outputName()}' (the explained output) does not depend on it.` : '';
        throw new ModelError('E_MODEL', `Layer '${name}' is not on the path from the input to the output.${other}`);
      }
      const k = at && name !== layer ? Number(at[2]) : sts.length - 1;
      if (k >= sts.length) throw new ModelError('E_MODEL', `Layer '${name}' is called ${sts.length} time(s) in this model; '@${k}' does not exist.`);
      return { how: 'substitute', st: sts[k] };
    }
    const n = this.nested.get(name);
    if (n) return { how: 'probe', ...n };
    throw new NameError('layer', layer, this.layerNames());
  }

  /** The whole model on x (and the fixed inputs), in inference mode: the explained output. Call inside a tidy. */
  private applyAll(x: tf.Tensor): tf.Tensor {
    const ins = this.m.inputs.length === 1 ? x : this.inputList(x);
    const out = this.m.apply(ins, { training: false }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out[this.outIndex] : out;
  }

  private inputList(x: tf.Tensor): tf.Tensor[] {
    const names = this.inputNames();
    return names.map((n, i) => (i === this.inIndex ? x : atBatch(this.fixed.get(n)!, x.shape[0], n)));
  }

  predict(x: tf.Tensor): tf.Tensor {
    checkInput(x);
    return tf.tidy(() => own(this.applyAll(x), x));
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
      }, () => tf.dispose(this.applyAll(x)));
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
        return own(runGraph([this.outSt], vals)[0], a);
      });
    }
    return tf.tidy(() => {
      let first = true;
      return this.probe(s.layer, (o) => {
        if (!first) return o;
        first = false;
        return a.clone(); // the executor may dispose what a layer returns; never the caller's tensor
      }, () => this.applyAll(x));
    });
  }

  capture(x: tf.Tensor, layer: string, score: ScoreFn, edit?: Edit): CaptureResult {
    checkInput(x);
    const s = this.site(layer);
    if (s.how === 'input') return inputCapture(this, x, score, edit);
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
                return runGraph([this.outSt], vals)[0];
              },
              score,
              edit ? edit(A) : A,
            );
            return { activations: own(A, x), gradients: grad, output };
          });
        }
        return tf.tidy(() => this.probeCapture(x, s.layer, layer, score, edit));
      }),
    );
  }

  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor } {
    checkInput(x);
    return guarded('Computing the input gradient', this.opts, () =>
      withBatchNormShim(this.m, () =>
        tf.tidy(() => {
          const { grad, output } = gradWithOutput((v) => this.applyAll(v), score, x);
          return { gradients: grad, output };
        }),
      ),
    );
  }

  /** Probe: the whole forward is taped; a scalar added at the layer's first call carries dScore/dA out. */
  private probeCapture(x: tf.Tensor, layer: LayerLike, name: string, score: ScoreFn, edit?: Edit): CaptureResult {
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
            return hook(edit ? edit(o) : o, s);
          }, () => this.applyAll(x)),
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

  /** The model inputs' values, by symbolic tensor id (call inside a tidy: batch-1 fixed inputs are tiled). */
  private feeds(x: tf.Tensor): Map<number, tf.Tensor> {
    const names = this.inputNames();
    return new Map(this.m.inputs.map((st, i) => [st.id, i === this.inIndex ? x : atBatch(this.fixed.get(names[i])!, x.shape[0], names[i])]));
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

  layerShapes(): Map<string, number[]> {
    const m = new Map<string, number[]>();
    for (const n of this.layerNames()) {
      const l = this.topLevel(n) ?? this.nested.get(n)?.layer;
      const s = l ? staticShape(l) : null;
      if (s) m.set(n, s.map((d) => d ?? -1));
    }
    return m;
  }

  layerOp(name: string): string | null {
    return (this.topLevel(name) ?? this.nested.get(name)?.layer)?.getClassName() ?? null;
  }

  headOps(layer: string): HeadOp[] | null {
    const s = this.site(layer);
    if (s.how === 'probe') return null; // inside a nested model: its own graph is not in the view
    const { g } = this.view();
    const start = s.how === 'input' ? this.m.inputs.map((i) => i.sourceLayer.name) : [layer];
    const between = headNodes(g, start, g.outputs[this.outIndex]);
    return [...between.nodes].map((n) => {
      const l = this.topLevel(n.replace(/@\d+$/, ''));
      const act = (l as { activation?: { getClassName(): string } } | undefined)?.activation?.getClassName();
      const op = l?.getClassName() ?? 'unknown';
      // A merge of two layer-dependent inputs that multiplies them is bilinear.
      return { op, activation: act, bilinear: (op === 'Multiply' || op === 'Dot') && between.dependentInputs(n) > 1 };
    });
  }

  order(names: readonly string[]): string[] {
    const all = this.layerNames();
    return [...names].sort((a, b) => all.indexOf(a) - all.indexOf(b));
  }

  /** The symbolic graph as a GraphView: one node per layer call, named as `site` accepts them. */
  private view(): { g: GraphView; shapes: Map<string, (number | null)[]> } {
    const byId = new Map<number, SymbolicLike>();
    const stack = [...this.m.outputs];
    while (stack.length) {
      const st = stack.pop()!;
      if (byId.has(st.id)) continue;
      byId.set(st.id, st);
      stack.push(...st.inputs);
    }
    // A layer called k times in this model: its calls are name@0 … name@(k−1), the last also plain name.
    const calls = new Map<string, number[]>();
    for (const st of [...byId.values()].sort((a, b) => a.id - b.id)) {
      const ids = calls.get(st.sourceLayer.name) ?? [];
      ids.push(st.id);
      calls.set(st.sourceLayer.name, ids);
    }
    const nameOf = (st: SymbolicLike) => {
      const ids = calls.get(st.sourceLayer.name)!;
      const k = ids.indexOf(st.id);
      return k === ids.length - 1 ? st.sourceLayer.name : `${st.sourceLayer.name}@${k}`;
    };
    const names = new Map<string, SymbolicLike>();
    for (const st of [...byId.values()].sort((a, b) => a.id - b.id)) names.set(nameOf(st), st);
    const unary = new Set(['Activation', 'Softmax', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
    const shapes = new Map<string, (number | null)[]>();
    for (const [n, st] of names) if (st.sourceLayer.getClassName() !== 'InputLayer' && Array.isArray(st.shape)) shapes.set(n, st.shape);
    const g: GraphView = {
      nodes: [...names.keys()],
      inputsOf: (n) => (names.get(n)?.inputs ?? []).map(nameOf),
      outputs: this.m.outputs.map(nameOf),
      isUnary: (n) => {
        const st = names.get(n);
        return !!st && st.inputs.length === 1 && unary.has(st.sourceLayer.getClassName());
      },
    };
    return { g, shapes };
  }

  defaultLayer(x: tf.Tensor): string {
    const { g, shapes } = this.view();
    const target = g.outputs[this.outIndex];
    const skip = new Set(this.m.inputs.map((i) => i.sourceLayer.name));
    const pick = autoLayer(g, target, (n) => (skip.has(n) ? null : (shapes.get(n) ?? null)));
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
  inputs?: GraphNodeLike[];
}
interface GraphModelLike {
  inputs: { name: string; dtype?: string }[];
  outputs: { name: string }[];
  execute(inputs: Record<string, tf.Tensor>, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
  executor?: { graph?: { nodes?: Record<string, GraphNodeLike> } };
}

const SKIP_OPS = new Set(['Const', 'Placeholder', 'NoOp', 'Identity', 'Shape', 'Pack', 'StridedSlice']);
/** Ops that compute an element-wise function of one tensor: an output's activation chain. */
const UNARY_OPS = new Set(['Identity', 'Sigmoid', 'Softmax', 'LogSoftmax', 'Relu', 'Relu6', 'Elu', 'Selu', 'Tanh', 'Softplus', 'LeakyRelu', 'BiasAdd', 'Cast', 'Exp', 'Neg']);

function graphError(e: unknown): unknown {
  const msg = String((e as Error)?.message ?? e);
  if (/executeAsync/.test(msg)) {
    return new ModelError('E_MODEL', `This GraphModel needs executeAsync (control flow or dynamic ops), which cannot be differentiated: ${msg}`, { cause: e });
  }
  if (/not part of graph|Cannot compute the outputs/.test(msg)) return new ModelError('E_MODEL', msg, { cause: e });
  return e;
}

/** Ops whose several inputs may all depend on the layer without any product of them (sums, concatenations, max/min). */
const ADDITIVE_OPS = new Set(['Add', 'AddV2', 'AddN', 'Sub', 'BiasAdd', 'ConcatV2', 'Concat', 'Pack', 'Maximum', 'Minimum', 'IdentityN']);

const nodeOf = (name: string) => name.replace(/:\d+$/, '');

// Dry-run shapes per model and input shape: adapters are cheap and made per option set, the dry run is not.
const graphShapes = new WeakMap<object, Map<string, Map<string, number[]>>>();

class GraphAdapter implements ModelAdapter {
  readonly kind = 'graph' as const;
  private readonly m: GraphModelLike;
  private readonly inName: string;
  private readonly outName: string;
  private readonly fixed: Map<string, tf.Tensor>;
  private readonly inDtype: string | undefined;
  constructor(
    model: GraphModel,
    private readonly opts: AdapterOptions,
  ) {
    this.m = model as unknown as GraphModelLike;
    const inNames = this.m.inputs.map((i) => i.name);
    this.inName = opts.inputName ?? inNames[0];
    if (!inNames.includes(this.inName)) throw new NameError('input', this.inName, inNames);
    this.inDtype = this.m.inputs.find((i) => i.name === this.inName)!.dtype;
    this.fixed = fixedInputs(inNames, this.inName, opts.inputs);
    if (opts.outputName !== undefined && opts.output !== undefined && opts.output !== opts.outputName) throw new OptionError('Pass either output or outputName, not both.');
    const out = opts.output ?? opts.outputName;
    const names = this.outputNames();
    const nodes = this.m.executor?.graph?.nodes;
    // A name may be an output or any node of the graph (an intermediate head such as a heatmap).
    if (typeof out === 'string' && !names.includes(out) && !(nodes && nodes[nodeOf(out)] && nodes[nodeOf(out)].op !== 'Const')) throw unknownOutput(out, names);
    this.outName = typeof out === 'string' ? out : names[outputIndex(names, out, 'this GraphModel')];
  }

  outputNames(): string[] {
    return this.m.outputs.map((o) => o.name);
  }

  graphModel(): GraphModel {
    return this.m as unknown as GraphModel;
  }

  outputName(): string {
    return this.outName;
  }

  /** The feeds for x: the explained input (cast for integer placeholders) and the fixed ones. Call inside a tidy. */
  private feeds(x: tf.Tensor): Record<string, tf.Tensor> {
    const f: Record<string, tf.Tensor> = { [this.inName]: this.inDtype === 'int32' && x.dtype !== 'int32' ? tf.cast(x, 'int32') : x };
    for (const [k, v] of this.fixed) f[k] = atBatch(v, x.shape[0], k);
    return f;
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
    const base = nodeOf(layer);
    if (nodes && !nodes[base]) throw new NameError('node', layer, this.layerNames());
    if (this.fixed.has(layer)) throw new ModelError('E_MODEL', `'${layer}' is an input held fixed; explain it by passing it as the input (inputName).`);
  }

  predict(x: tf.Tensor): tf.Tensor {
    checkInput(x);
    return tf.tidy(() => own(this.exec(this.feeds(x), this.outName), x));
  }

  activations(x: tf.Tensor, layer: string): tf.Tensor {
    checkInput(x);
    this.check(layer);
    if (layer === INPUT_LAYER || layer === this.inName) return x.clone();
    return tf.tidy(() => own(this.exec(this.feeds(x), layer), x));
  }

  forwardFrom(x: tf.Tensor, layer: string, a: tf.Tensor): tf.Tensor {
    checkInput(x);
    this.check(layer);
    if (layer === INPUT_LAYER || layer === this.inName) return this.predict(a);
    // Feeding the input too lets the executor recompute skip paths that bypass the node.
    return tf.tidy(() => own(this.exec({ ...this.feeds(x), [layer]: a }, this.outName), a));
  }

  capture(x: tf.Tensor, layer: string, score: ScoreFn, edit?: Edit): CaptureResult {
    checkInput(x);
    this.check(layer);
    if (layer === INPUT_LAYER || layer === this.inName) return inputCapture(this, x, score, edit);
    const anc = this.ancestorsOfOutput();
    if (anc && !anc.has(nodeOf(layer)) && nodeOf(layer) !== nodeOf(this.outName)) {
      throw new ModelError('E_MODEL', `Node '${layer}' is not on the path from the input to '${this.outName}': the explained output does not depend on it.`);
    }
    return guarded(`Capturing gradients at '${layer}'`, this.opts, () =>
      tf.tidy(() => {
        const feeds = this.feeds(x);
        // Forward to A outside the tape: an executeAsync-only graph fails here, before any grad.
        const A = this.exec(feeds, layer);
        const { grad, output } = gradWithOutput((a) => this.exec({ ...feeds, [layer]: a }, this.outName), score, edit ? edit(A) : A);
        return { activations: own(A, x), gradients: grad, output };
      }),
    );
  }

  inputGradient(x: tf.Tensor, score: ScoreFn): { gradients: tf.Tensor; output: tf.Tensor } {
    checkInput(x);
    return guarded('Computing the input gradient', this.opts, () =>
      tf.tidy(() => {
        const feeds = this.feeds(x);
        tf.dispose(this.exec(feeds, this.outName)); // executeAsync-only graphs fail here, untaped
        const { grad, output } = gradWithOutput((v) => this.exec({ ...feeds, [this.inName]: v }, this.outName), score, x);
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

  layerOp(name: string): string | null {
    return this.m.executor?.graph?.nodes?.[nodeOf(name)]?.op ?? null;
  }

  headOps(layer: string): HeadOp[] | null {
    const g = this.graphView();
    const nodes = this.m.executor?.graph?.nodes;
    if (!g || !nodes) return null;
    const between = headNodes(g, [layer === INPUT_LAYER ? this.inName : nodeOf(layer)], nodeOf(this.outName));
    return [...between.nodes].map((n) => {
      const node = nodes[n] as GraphNodeLike & { attrParams?: Record<string, { value?: unknown } | undefined> };
      const fused = node.attrParams?.fusedOps?.value as string[] | undefined;
      return { op: node.op, activation: fused?.[1], bilinear: !ADDITIVE_OPS.has(node.op) && between.dependentInputs(n) > 1 };
    });
  }

  order(names: readonly string[]): string[] {
    const g = this.graphView();
    if (!g) return [...names];
    // Longest path from the inputs: a node comes after everything it depends on.
    const depth = new Map<string, number>();
    const depthOf = (n: string): number => {
      const stack = [n];
      while (stack.length) {
        const cur = stack[stack.length - 1];
        if (depth.has(cur)) {
          stack.pop();
          continue;
        }
        const todo = g.inputsOf(cur).filter((i) => !depth.has(i));
        if (todo.length) stack.push(...todo);
        else {
          depth.set(cur, 1 + Math.max(-1, ...g.inputsOf(cur).map((i) => depth.get(i)!)));
          stack.pop();
        }
      }
      return depth.get(n)!;
    };
    return [...names].sort((a, b) => depthOf(nodeOf(a)) - depthOf(nodeOf(b)));
  }

  private graphView(): GraphView | null {
    const nodes = this.m.executor?.graph?.nodes;
    if (!nodes) return null;
    const ins = (n: string) => (nodes[n]?.inputs ?? []).filter((i) => i.op !== 'Const').map((i) => i.name);
    return {
      nodes: Object.keys(nodes),
      inputsOf: ins,
      outputs: this.m.outputs.map((o) => nodeOf(o.name)),
      isUnary: (n) => UNARY_OPS.has(nodes[n]?.op ?? '') && ins(n).length === 1,
    };
  }

  private ancCache: Set<string> | null | undefined;
  private ancestorsOfOutput(): Set<string> | null {
    if (this.ancCache === undefined) {
      const g = this.graphView();
      this.ancCache = g ? ancestors(g, nodeOf(this.outName)) : null;
    }
    return this.ancCache;
  }

  /** Ranks and shapes are only known by running: one dry execute of the candidates, cached per input shape. */
  private shapesFor(x: tf.Tensor, names: string[]): Map<string, number[]> {
    let perModel = graphShapes.get(this.m);
    if (!perModel) graphShapes.set(this.m, (perModel = new Map()));
    const key = [x.shape.join('x'), ...[...this.fixed].map(([k, v]) => `${k}:${v.shape.join('x')}`)].join('|');
    let m = perModel.get(key);
    if (!m) perModel.set(key, (m = new Map()));
    const todo = names.filter((n) => !m!.has(n));
    if (todo.length) {
      tf.tidy(() => {
        let outs: tf.Tensor[];
        try {
          const r = this.m.execute(this.feeds(x), todo);
          outs = Array.isArray(r) ? r : [r];
        } catch (e) {
          throw graphError(e);
        }
        todo.forEach((n, i) => m!.set(n, outs[i].shape));
      });
    }
    return m;
  }

  /** The shapes of the nodes the explained output depends on (nodes of other heads are not run). */
  layerShapes(x: tf.Tensor): Map<string, number[]> {
    checkInput(x);
    const anc = this.ancestorsOfOutput();
    const names = this.layerNames().filter((n) => !anc || anc.has(n) || n === nodeOf(this.outName));
    const all = this.shapesFor(x, names);
    return new Map(names.map((n) => [n, all.get(n)!]));
  }

  defaultLayer(x: tf.Tensor): string {
    checkInput(x);
    const g = this.graphView();
    if (!g) {
      const shapes = this.shapesFor(x, this.layerNames());
      const pick = lastFeatureMap(this.layerNames(), (n) => shapes.get(n) ?? null);
      if (!pick) throw new ModelError('E_MODEL', 'The graph has no 4-D feature map to explain; pass `layer` explicitly.');
      return pick;
    }
    const target = nodeOf(this.outName);
    const cands = new Set(this.layerNames());
    const anc = [...ancestors(g, target)].filter((n) => cands.has(n) && !this.fixed.has(n));
    const shapes = this.shapesFor(x, anc);
    const pick = autoLayer(g, target, (n) => shapes.get(n) ?? null);
    if (!pick) throw new ModelError('E_MODEL', `The graph has no 4-D feature map that '${this.outName}' depends on; pass \`layer\` explicitly.`);
    return pick;
  }

  describeLayers(x: tf.Tensor): { name: string; shape: (number | null)[] | null; kind: string }[] {
    checkInput(x);
    const shapes = this.shapesFor(x, this.layerNames());
    const nodes = this.m.executor?.graph?.nodes ?? {};
    return this.layerNames().map((name) => ({ name, shape: shapes.get(name) ?? null, kind: nodes[name]?.op ?? 'node' }));
  }
}

// ---------------------------------------------------------------------------------------------
// Plain functions

class FunctionAdapter implements ModelAdapter {
  readonly kind = 'function' as const;
  private names: string[] | null;
  private outNames: string[] | null = null;
  constructor(
    private readonly fn: ModelFunction,
    private readonly opts: AdapterOptions,
  ) {
    this.names = opts.layerNames ?? null;
    if (opts.inputs !== undefined) throw new OptionError('A model function takes one input: close over the others instead of passing `inputs`.');
    if (opts.inputName !== undefined || opts.outputName !== undefined) throw new OptionError('inputName and outputName are for GraphModels; a function chooses its output with `output`.');
  }

  private run(x: tf.Tensor, hook?: Hook): tf.Tensor {
    return this.select(this.fn(x, hook ?? ((_n, t) => t)));
  }

  /** The explained output among what the function returned (the others are left to the enclosing tidy). */
  private select(ret: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>): tf.Tensor {
    const isTensor = (t: unknown): t is tf.Tensor => !!t && typeof (t as tf.Tensor).dataSync === 'function';
    const out = this.opts.output;
    if (isTensor(ret)) {
      this.outNames = ['0'];
      if (out !== undefined && out !== 0 && out !== '0') throw typeof out === 'number' ? new OptionError(`output ${out} is out of range: the function returns one tensor.`) : unknownOutput(out, ['0']);
      return ret;
    }
    if (Array.isArray(ret)) {
      this.outNames = ret.map((_t, i) => String(i));
      const i = outputIndex(this.outNames, typeof out === 'string' && /^\d+$/.test(out) ? Number(out) : out, 'the function');
      if (!isTensor(ret[i])) throw new ModelError('E_MODEL', `The function's output ${i} is not a tensor.`);
      return ret[i];
    }
    if (ret && typeof ret === 'object') {
      this.outNames = Object.keys(ret);
      const t = ret[this.outNames[outputIndex(this.outNames, out, 'the function')]];
      if (!isTensor(t)) throw new ModelError('E_MODEL', 'The function returned a record whose explained entry is not a tensor.');
      return t;
    }
    throw new ModelError('E_MODEL', 'The model function must return a tensor, an array of tensors or a record of named tensors.');
  }

  outputNames(): string[] {
    return this.outNames ? [...this.outNames] : [];
  }

  outputName(): string {
    const o = this.opts.output;
    if (typeof o === 'number') return String(o);
    return o ?? this.outNames?.[0] ?? '0';
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

  capture(x: tf.Tensor, layer: string, score: ScoreFn, edit?: Edit): CaptureResult {
    checkInput(x);
    this.check(layer, x);
    if (layer === INPUT_LAYER) return inputCapture(this, x, score, edit);
    // Substitution through the hook: forward to A untaped, then tape only the run with A swapped in.
    return guarded(`Capturing gradients at '${layer}'`, this.opts, () =>
      tf.tidy(() => {
        const A = this.activations(x, layer);
        const { grad, output } = gradWithOutput((a) => this.forwardFromTaped(x, layer, a), score, edit ? edit(A) : A);
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

  layerShapes(x: tf.Tensor): Map<string, number[]> {
    checkInput(x);
    return new Map(this.discover(x).map((s) => [s.name, s.shape]));
  }

  layerOp(): string | null {
    return null;
  }

  order(names: readonly string[]): string[] {
    const all = this.layerNames();
    return [...names].sort((a, b) => all.indexOf(a) - all.indexOf(b));
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

// Adapters per model and option set (options with tensors are never cached).
const adapters = new WeakMap<object, Map<string, ModelAdapter>>();

/** Duck-typed: the model may come from another copy of tfjs than camkit's. */
export function modelKind(model: unknown): 'layers' | 'graph' | 'function' | null {
  if (typeof model === 'function') return 'function';
  if (!model || typeof model !== 'object') return null;
  const m = model as Record<string, unknown>;
  if (typeof m.getLayer === 'function' && Array.isArray(m.layers) && Array.isArray(m.outputs)) return 'layers';
  if (typeof m.execute === 'function' && typeof m.executeAsync === 'function') return 'graph';
  return null;
}

/** Wraps a LayersModel, GraphModel or function `(x, hook?) => output(s)` for explanation. */
export function createAdapter(model: ExplainableModel | ModelAdapter, opts: AdapterOptions = {}): ModelAdapter {
  if (isAdapter(model)) return model;
  const kind = modelKind(model);
  if (!kind) throw new ModelError('E_MODEL', 'Expected a tf.LayersModel, a tf.GraphModel or a function (x, hook?) => tensor.');
  const defined = Object.entries(opts).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  const cacheable = !defined.some(([k]) => k === 'inputs');
  const key = JSON.stringify(defined);
  if (cacheable) {
    const hit = adapters.get(model as object)?.get(key);
    if (hit) return hit;
  }
  const a =
    kind === 'layers'
      ? new LayersAdapter(model as LayersModel, opts)
      : kind === 'graph'
        ? new GraphAdapter(model as GraphModel, opts)
        : new FunctionAdapter(model as ModelFunction, opts);
  if (cacheable) {
    let perModel = adapters.get(model as object);
    if (!perModel) adapters.set(model as object, (perModel = new Map()));
    perModel.set(key, a);
  }
  return a;
}

export function isAdapter(m: unknown): m is ModelAdapter {
  const a = m as Partial<ModelAdapter> | null;
  return !!a && typeof a === 'object' && (a.kind === 'layers' || a.kind === 'graph' || a.kind === 'function') && typeof a.capture === 'function';
}
