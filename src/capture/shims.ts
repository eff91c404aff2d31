// Backend hardening for gradient capture, scoped to one call and restored in `finally`.
// The kernel and gradient registries are process-global (every tfjs copy in the process shares
// them), so every change here is paired with its undo, and nested calls share one installation
// through a depth counter.
import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.js';

type AnyBackend = tf.KernelBackend & {
  readSync(dataId: unknown): ArrayLike<number> & tf.backend_util.BackendValues;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: ArrayLike<number>): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): tf.TensorInfo;
  disposeData(dataId: unknown, force?: boolean): boolean;
};

interface TapeNodeLike {
  kernelName: string;
  saved?: tf.Tensor[];
}

/** Forward kernel → kernels its gradient needs that some backends lack. Generic ones (Mul, Add…) are everywhere. */
const BACKWARD_NEEDS: Record<string, string[]> = {
  Conv2D: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'],
  FusedConv2D: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'],
  Conv2DBackpropInput: ['Conv2D', 'Conv2DBackpropFilter'],
  DepthwiseConv2dNative: ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
  FusedDepthwiseConv2D: ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
  MaxPool: ['MaxPoolGrad'],
  AvgPool: ['AvgPoolGrad'],
  MaxPool3D: ['MaxPool3DGrad'],
  AvgPool3D: ['AvgPool3DGrad'],
  ResizeBilinear: ['ResizeBilinearGrad'],
  ResizeNearestNeighbor: ['ResizeNearestNeighborGrad'],
  GatherV2: ['UnsortedSegmentSum'],
  Elu: ['EluGrad'],
};

/** Kernels the wasm backend (4.22) lacks or gets wrong, served by delegating to the cpu backend. */
const WASM_DELEGATES = ['DepthwiseConv2dNativeBackpropInput', 'Conv2DBackpropFilter', 'UnsortedSegmentSum', 'MaxPoolGrad'];
/** Weight-gradient kernels: their results are discarded by a capture, so they return zeros meanwhile. */
const WEIGHT_GRADS = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter'];

export interface ShimOptions {
  /** Replace weight-gradient kernels by zero kernels for the call (default true: 10–60× faster mid-network). */
  skipWeightGradients?: boolean;
  /** On wasm, serve missing or buggy backward kernels from the cpu backend (default true). */
  wasmDelegates?: boolean;
}

let depth = 0;
let undo: Array<() => void> = [];

/** Number of active shim installations (0 when none is active). */
export function shimDepth(): number {
  return depth;
}

function replaceKernel(config: tf.KernelConfig): () => void {
  const prev = tf.getKernel(config.kernelName, config.backendName);
  if (prev) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
  return () => {
    tf.unregisterKernel(config.kernelName, config.backendName);
    if (prev) tf.registerKernel(prev);
  };
}

// wasm's makeOutput(shape, dtype, offset, values) is its way to create data; cpu also has a
// makeOutput, with another signature, so pick by backend name.
function makeOut(b: AnyBackend, backendName: string, shape: number[], dtype: tf.DataType, values: ArrayLike<number>): tf.TensorInfo {
  return backendName === 'wasm' && typeof b.makeOutput === 'function' ? b.makeOutput(shape, dtype, undefined, values) : b.makeTensorInfo(shape, dtype, values);
}

/** A kernel for `backendName` that copies its inputs to the cpu backend, runs cpu's kernel and copies back. */
function cpuDelegate(kernelName: string, backendName: string): tf.KernelConfig | null {
  const cpuKernel = tf.getKernel(kernelName, 'cpu');
  if (!cpuKernel) return null;
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const cpu = tf.findBackend('cpu') as AnyBackend | null;
      if (!cpu) throw new ModelError('E_MODEL', `camkit needs the cpu backend registered to run '${kernelName}' on ${backendName}.`);
      const b = backend as AnyBackend;
      const made: tf.TensorInfo[] = [];
      const cpuInputs: Record<string, tf.TensorInfo> = {};
      try {
        for (const [k, info] of Object.entries(inputs)) {
          if (!info) continue;
          const ti = cpu.makeTensorInfo(info.shape, info.dtype, b.readSync(info.dataId));
          made.push(ti);
          cpuInputs[k] = ti;
        }
        const res = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
        const outs = Array.isArray(res) ? res : [res];
        made.push(...outs);
        const mapped = outs.map((o) => makeOut(b, backendName, o.shape, o.dtype, cpu.readSync(o.dataId) as ArrayLike<number>));
        return Array.isArray(res) ? mapped : mapped[0];
      } finally {
        for (const t of made) cpu.disposeData(t.dataId, true);
      }
    },
  };
}

function zeroKernel(kernelName: string, backendName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ backend, attrs }) => {
      const shape = (attrs as { filterShape: number[] }).filterShape;
      return makeOut(backend as AnyBackend, backendName, shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1)));
    },
  };
}

function install(opts: ShimOptions): Array<() => void> {
  const done: Array<() => void> = [];
  const name = tf.getBackend();
  try {
    if (name === 'wasm' && opts.wasmDelegates !== false) {
      for (const k of WASM_DELEGATES) {
        const d = cpuDelegate(k, name);
        if (d) done.push(replaceKernel(d));
      }
    }
    if (opts.skipWeightGradients !== false) for (const k of WEIGHT_GRADS) done.push(replaceKernel(zeroKernel(k, name)));
  } catch (e) {
    for (const u of done.reverse()) u();
    throw e;
  }
  return done;
}

/** Runs `fn` with the capture shims installed on the active backend; nested calls share one installation. */
export function withCaptureShims<T>(fn: () => T, opts: ShimOptions = {}): T {
  if (depth === 0) undo = install(opts);
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) {
      const u = undo;
      undo = [];
      for (const f of u.reverse()) f();
    }
  }
}

/**
 * Releases what a failed `tf.grad` leaves behind: the tensors saved by the forward pass on the
 * active tape, which no `tidy` reclaims. Only when no other gradient is in flight.
 */
export function cleanupTape(): void {
  const st = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: TapeNodeLike[] | null } }).state;
  if (st.gradientDepth === 0 && st.activeTape) {
    for (const n of st.activeTape) for (const t of n.saved ?? []) if (!t.isDisposed) t.dispose();
    st.activeTape = null;
  }
}

/**
 * Called inside the taped forward pass, before the backward pass starts: throws a ModelError naming
 * every kernel the backward pass would need and the active backend lacks.
 */
export function preflightTape(): void {
  const st = (tf.engine() as unknown as { state: { activeTape: TapeNodeLike[] | null } }).state;
  const tape = st.activeTape;
  if (!tape) return;
  const backend = tf.getBackend();
  const missing = new Set<string>();
  const seen = new Set<string>();
  for (const n of tape) {
    if (seen.has(n.kernelName)) continue;
    seen.add(n.kernelName);
    for (const k of BACKWARD_NEEDS[n.kernelName] ?? []) if (!tf.getKernel(k, backend)) missing.add(`${k} (for ${n.kernelName})`);
  }
  if (missing.size) {
    throw new ModelError(
      'E_MODEL',
      `The '${backend}' backend lacks kernels this model's backward pass needs: ${[...missing].join(', ')}. ` +
        `Register the cpu backend (camkit delegates to it on wasm) or use another backend.`,
    );
  }
}

/** Turns a tfjs failure inside a gradient call into a ModelError (after cleaning the tape). */
export function asModelError(e: unknown, what: string): unknown {
  cleanupTape();
  if (e instanceof ModelError || (e as { code?: string })?.code) return e;
  const msg = String((e as Error)?.message ?? e);
  // First: 'Cannot compute gradient: gradient function not found for X' is a missing op gradient.
  if (/not registered for backend|gradient function not found/i.test(msg)) {
    return new ModelError('E_MODEL', `${what}: ${msg}`, { cause: e });
  }
  if (/Cannot compute gradient|encloses all operations/i.test(msg)) {
    // tfjs's wording is about f, x and y; say it in the caller's terms
    return new ModelError('E_MODEL', `${what}: the score does not depend on this layer (no gradient path from the layer to the output). ${msg}`, { cause: e });
  }
  return e;
}

interface BNLayerLike {
  getClassName(): string;
  scale: boolean;
  gamma: unknown;
  layers?: BNLayerLike[];
}

/**
 * tfjs BatchNormalization(scale=false) crashes when taped (its gradient saves an undefined scale).
 * For the call, give such layers a gamma of ones: the same maths, a defined tensor.
 */
export function withBatchNormShim<T>(model: unknown, fn: () => T): T {
  const found: BNLayerLike[] = [];
  const walk = (l: BNLayerLike) => {
    if (l.layers) for (const c of l.layers) walk(c);
    else if (typeof l.getClassName === 'function' && l.getClassName() === 'BatchNormalization' && l.scale === false) found.push(l);
  };
  const root = model as { layers?: BNLayerLike[] };
  for (const l of root.layers ?? []) walk(l);
  if (!found.length) return fn();
  const ones: tf.Tensor[] = [];
  const saved = found.map((l) => ({ l, gamma: l.gamma, own: Object.prototype.hasOwnProperty.call(l, 'gamma') }));
  try {
    for (const l of found) {
      // movingMean has the per-channel shape gamma would have had.
      const t = tf.ones((l as unknown as { movingMean: { shape: number[] } }).movingMean.shape);
      ones.push(t);
      l.gamma = { read: () => t };
      l.scale = true;
    }
    return fn();
  } finally {
    for (const s of saved) {
      s.l.scale = false;
      if (s.own) s.l.gamma = s.gamma;
      else delete (s.l as { gamma?: unknown }).gamma;
    }
    for (const t of ones) t.dispose();
  }
}
