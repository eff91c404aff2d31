// Input reading and validation. The core never imports tfjs: a tensor is anything with a shape, a
// dtype, data() and isDisposed. Every check on shapes, dtypes and sizes runs on metadata before any
// data is read or memory allocated; values are read with `await data()` so webgl/webgpu don't block.
import { InputError } from '../errors.js';

/** A tf.Tensor, duck-typed. */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly isDisposed?: boolean;
  data(): Promise<ArrayLike<number>>;
  dataSync?(): ArrayLike<number>;
}

/** Plain data: a flat row-major Float32Array and its shape. */
export interface ArrayInput {
  data: Float32Array;
  shape: readonly number[];
}

export type InputLike = TensorLike | ArrayInput;

export type NonFinitePolicy = 'error' | 'zero';

export function isTensorLike(x: unknown): x is TensorLike {
  return typeof x === 'object' && x !== null && typeof (x as TensorLike).data === 'function' && Array.isArray((x as TensorLike).shape);
}

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Shape, dtype and disposal checks on metadata only; returns the shape. */
export function describeInput(x: unknown, name: string): readonly number[] {
  if (typeof x !== 'object' || x === null) throw new InputError('E_SHAPE', `${name} must be a tensor or {data: Float32Array, shape}, got ${x === null ? 'null' : typeof x}.`);
  if (isTensorLike(x)) {
    if (x.isDisposed) throw new InputError('E_DISPOSED', `${name} is a disposed tensor.`);
    if (x.dtype !== 'float32') throw new InputError('E_DTYPE', `${name} must be float32, got ${x.dtype}.`);
    checkDims(x.shape, name);
    return x.shape;
  }
  const a = x as Partial<ArrayInput>;
  if (!Array.isArray(a.shape)) throw new InputError('E_SHAPE', `${name} must be a tensor or {data: Float32Array, shape}; shape is missing.`);
  if (!(a.data instanceof Float32Array)) {
    const kind = a.data === undefined ? 'missing' : ((a.data as object)?.constructor?.name ?? typeof a.data);
    throw new InputError('E_DTYPE', `${name}.data must be a Float32Array, got ${kind}.`);
  }
  checkDims(a.shape, name);
  const size = a.shape.reduce((p, d) => p * d, 1);
  if (a.data.length !== size) {
    throw new InputError('E_SHAPE', `${name}.data has ${a.data.length} values but shape ${fmtShape(a.shape)} needs ${size}.`);
  }
  return a.shape;
}

function checkDims(shape: readonly number[], name: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new InputError('E_SHAPE', `${name} has an invalid shape ${fmtShape(shape)}.`);
  }
  if (shape.some((d) => d === 0)) throw new InputError('E_EMPTY', `${name} is empty (shape ${fmtShape(shape)}).`);
}

/** [N,H,W,C] from a rank-4 shape, or a rank-3 [H,W,C] shape taken as one image. */
export function nhwc(shape: readonly number[], name: string): [number, number, number, number] {
  if (shape.length === 4) return [shape[0], shape[1], shape[2], shape[3]];
  if (shape.length === 3) return [1, shape[0], shape[1], shape[2]];
  throw new InputError('E_SHAPE', `${name} must have rank 4 [N, H, W, C] or 3 [H, W, C], got rank ${shape.length} ${fmtShape(shape)}.`);
}

/** Throws unless `b` has the same [N,H,W,C] as `a` (the message shows both shapes). */
export function sameShape(a: readonly number[], b: readonly number[], aName: string, bName: string): void {
  const x = nhwc(a, aName), y = nhwc(b, bName);
  if (x.some((d, i) => d !== y[i])) {
    throw new InputError('E_SHAPE', `${bName} ${fmtShape(b)} does not match ${aName} ${fmtShape(a)}.`);
  }
}

/** Reads values as float32 (after describeInput). Tensors are read asynchronously. */
export async function readInput(x: InputLike, name: string): Promise<ArrayInput> {
  const shape = describeInput(x, name);
  if (isTensorLike(x)) {
    const d = await x.data();
    // A tensor disposed while we waited has already handed over its values; nothing more to check.
    return { data: d instanceof Float32Array ? d : Float32Array.from(d), shape: [...shape] };
  }
  return x as ArrayInput;
}

/** Index of the first NaN or ±Inf, or −1. */
export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) {
    // x − x is NaN exactly for NaN and ±Inf, and is faster than Number.isFinite on typed arrays.
    if (x[i] - x[i] !== 0) return i;
  }
  return -1;
}

/** Throws E_NONFINITE when the policy is 'error' and `x` holds NaN or ±Inf. */
export function checkFinite(x: ArrayLike<number>, name: string, policy: NonFinitePolicy): void {
  if (policy === 'zero') return;
  const i = firstNonFinite(x);
  if (i >= 0) throw nonFiniteError(name, x[i], i);
}

export function nonFiniteError(name: string, value: number, index: number): InputError {
  return new InputError('E_NONFINITE', `${name} holds ${value} at index ${index}; pass { nonFinite: 'zero' } to replace non-finite values with 0.`);
}

/** Replaces NaN and ±Inf with 0, in place (used on arena copies, never on the caller's arrays). */
export function zeroNonFinite(x: Float32Array): number {
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] - x[i] !== 0) {
      x[i] = 0;
      count++;
    }
  }
  return count;
}
