// src/core/inputs.ts on its own, without tfjs: the duck-typed tensor test, each validation message and
// code, rank handling, reading, and the non-finite scans. inputs.test.ts covers the same checks through
// computeCam with real tensors.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  checkFinite,
  describeInput,
  firstNonFinite,
  isTensorLike,
  nhwc,
  nonFiniteError,
  readInput,
  sameShape,
  zeroNonFinite,
  type TensorLike,
} from '../../src/core/inputs.js';
import { caught } from '../helpers/caught.js';

/** A duck-typed tensor whose data() resolves to `values`. */
function tensor(shape: number[], values: ArrayLike<number>, dtype = 'float32', isDisposed = false): TensorLike {
  return { shape, dtype, isDisposed, data: async () => values };
}

describe('isTensorLike', () => {
  it('needs an object (not null, not a function) with a data() function and an array shape', () => {
    expect(isTensorLike(tensor([1], [0]))).toBe(true);
    expect(isTensorLike(null)).toBe(false);
    expect(isTensorLike(undefined)).toBe(false);
    expect(isTensorLike(5)).toBe(false);
    // A function carrying both properties is still not a tensor.
    const fn = Object.assign(() => 0, { data: async () => [0], shape: [1] });
    expect(isTensorLike(fn)).toBe(false);
    expect(isTensorLike({ data: [1], shape: [1] })).toBe(false);
    expect(isTensorLike({ data: async () => [1], shape: '1' })).toBe(false);
    expect(isTensorLike({ data: async () => [1] })).toBe(false);
  });
});

describe('describeInput', () => {
  it('rejects non-objects with E_SHAPE, naming null as null and others by their type', () => {
    const n = caught(() => describeInput(null, 'acts'));
    expect(n).toBeInstanceOf(InputError);
    expect(n.code).toBe('E_SHAPE');
    expect(n.message).toBe('acts must be a tensor or {data: Float32Array, shape}, got null.');
    expect(caught(() => describeInput(3, 'acts')).message).toBe('acts must be a tensor or {data: Float32Array, shape}, got number.');
    expect(caught(() => describeInput(undefined, 'acts')).message).toMatch(/got undefined\.$/);
  });

  it('tensors: disposed, dtype and shape are checked in that order, and the shape is returned', () => {
    const d = caught(() => describeInput(tensor([1, 2], [0, 0], 'int32', true), 'g'));
    expect([d.code, d.message]).toEqual(['E_DISPOSED', 'g is a disposed tensor.']);
    const t = caught(() => describeInput(tensor([1, 2], [0, 0], 'int32'), 'g'));
    expect([t.code, t.message]).toEqual(['E_DTYPE', 'g must be float32, got int32.']);
    expect(caught(() => describeInput(tensor([1, -2], [0, 0]), 'g')).code).toBe('E_SHAPE');
    expect(caught(() => describeInput(tensor([1, 0], []), 'g')).code).toBe('E_EMPTY');
    const s = [2, 3];
    expect(describeInput(tensor(s, new Float32Array(6)), 'g')).toBe(s);
    // No isDisposed field at all is a live tensor.
    expect(describeInput({ shape: s, dtype: 'float32', data: async () => [] }, 'g')).toBe(s);
  });

  it('arrays: shape, then data type (missing, other constructors, no constructor), then the size', () => {
    const s = caught(() => describeInput({ data: new Float32Array(2) }, 'a'));
    expect([s.code, s.message]).toEqual(['E_SHAPE', 'a must be a tensor or {data: Float32Array, shape}; shape is missing.']);
    expect(caught(() => describeInput({ data: new Float32Array(2), shape: 2 }, 'a')).code).toBe('E_SHAPE');
    const missing = caught(() => describeInput({ shape: [2] }, 'a'));
    expect([missing.code, missing.message]).toEqual(['E_DTYPE', 'a.data must be a Float32Array, got missing.']);
    expect(caught(() => describeInput({ shape: [2], data: new Float64Array(2) }, 'a')).message).toBe('a.data must be a Float32Array, got Float64Array.');
    expect(caught(() => describeInput({ shape: [2], data: [1, 2] }, 'a')).message).toBe('a.data must be a Float32Array, got Array.');
    expect(caught(() => describeInput({ shape: [2], data: Object.create(null) }, 'a')).message).toBe('a.data must be a Float32Array, got object.');
    expect(caught(() => describeInput({ shape: [2], data: 7 }, 'a')).message).toBe('a.data must be a Float32Array, got Number.');
    expect(caught(() => describeInput({ shape: [2], data: null }, 'a')).message).toBe('a.data must be a Float32Array, got object.');
    const size = caught(() => describeInput({ shape: [2, 3], data: new Float32Array(5) }, 'a'));
    expect([size.code, size.message]).toEqual(['E_SHAPE', 'a.data has 5 values but shape [2, 3] needs 6.']);
    expect(caught(() => describeInput({ shape: [2, 3], data: new Float32Array(7) }, 'a')).code).toBe('E_SHAPE');
    const shape = [2, 3];
    expect(describeInput({ shape, data: new Float32Array(6) }, 'a')).toBe(shape);
    expect(describeInput({ shape: [], data: new Float32Array(1) }, 'a')).toEqual([]);
  });

  it('every dimension must be a non-negative integer; a zero dimension is E_EMPTY', () => {
    for (const bad of [[1.5, 2], [2, -1], [NaN], [Infinity, 1]]) {
      const e = caught(() => describeInput({ shape: bad, data: new Float32Array(2) }, 'x'));
      expect(e.code, JSON.stringify(bad)).toBe('E_SHAPE');
      expect(e.message).toBe(`x has an invalid shape [${bad.join(', ')}].`);
    }
    const e = caught(() => describeInput({ shape: [3, 0], data: new Float32Array(0) }, 'x'));
    expect([e.code, e.message]).toEqual(['E_EMPTY', 'x is empty (shape [3, 0]).']);
    // The first dimension is checked too, and a 0 anywhere, not only at the end.
    expect(caught(() => describeInput({ shape: [0, 3], data: new Float32Array(0) }, 'x')).code).toBe('E_EMPTY');
    expect(caught(() => describeInput({ shape: [-1, 3], data: new Float32Array(3) }, 'x')).code).toBe('E_SHAPE');
  });
});

describe('nhwc and sameShape', () => {
  it('rank 4 as is, rank 3 as one image, others E_SHAPE with the rank and shape', () => {
    expect(nhwc([2, 3, 4, 5], 'a')).toEqual([2, 3, 4, 5]);
    expect(nhwc([3, 4, 5], 'a')).toEqual([1, 3, 4, 5]);
    for (const s of [[3, 4], [1, 2, 3, 4, 5], []]) {
      const e = caught(() => nhwc(s, 'acts'));
      expect(e.code).toBe('E_SHAPE');
      expect(e.message).toBe(`acts must have rank 4 [N, H, W, C] or 3 [H, W, C], got rank ${s.length} [${s.join(', ')}].`);
    }
  });

  it('compares after nhwc, so [H,W,C] equals [1,H,W,C]; any differing dimension throws with both shapes', () => {
    expect(() => sameShape([1, 3, 4, 5], [3, 4, 5], 'a', 'b')).not.toThrow();
    expect(() => sameShape([2, 3, 4, 5], [2, 3, 4, 5], 'a', 'b')).not.toThrow();
    for (const b of [[2, 3, 4, 6], [2, 3, 5, 5], [2, 4, 4, 5], [1, 3, 4, 5]]) {
      const e = caught(() => sameShape([2, 3, 4, 5], b, 'acts', 'grads'));
      expect(e.code).toBe('E_SHAPE');
      expect(e.message).toBe(`grads [${b.join(', ')}] does not match acts [2, 3, 4, 5].`);
    }
    expect(caught(() => sameShape([2, 3, 4, 5], [3, 4], 'acts', 'grads')).message).toMatch(/^grads must have rank/);
    expect(caught(() => sameShape([3, 4], [2, 3, 4, 5], 'acts', 'grads')).message).toMatch(/^acts must have rank/);
  });
});

describe('readInput', () => {
  it('arrays come back as they are; tensors are read, converted to float32 and get a copy of the shape', async () => {
    const a = { data: new Float32Array([1, 2]), shape: [2] };
    expect(await readInput(a, 'a')).toBe(a);
    const f = new Float32Array([1, 2, 3]);
    const s = [3];
    const r = await readInput(tensor(s, f), 't');
    expect(r.data).toBe(f);
    expect(r.shape).toEqual([3]);
    expect(r.shape).not.toBe(s);
    const plain = await readInput(tensor([2], [0.5, 7]), 't');
    expect(plain.data).toBeInstanceOf(Float32Array);
    expect(Array.from(plain.data)).toEqual([0.5, 7]);
    await expect(readInput(tensor([2], [1, 2], 'int32'), 't')).rejects.toThrow(/must be float32/);
    await expect(readInput({ data: new Float32Array(1), shape: [2] } as never, 'a')).rejects.toThrow(/needs 2/);
  });
});

describe('non-finite values', () => {
  it('firstNonFinite finds the first NaN or ±Inf, or −1', () => {
    expect(firstNonFinite([])).toBe(-1);
    expect(firstNonFinite([0, -0, 1e-45, -3e38, 3e38])).toBe(-1);
    expect(firstNonFinite([1, NaN, Infinity])).toBe(1);
    expect(firstNonFinite([1, 2, -Infinity, NaN])).toBe(2);
    expect(firstNonFinite([Infinity])).toBe(0);
    expect(firstNonFinite(new Float32Array([0, 0, 0, NaN]))).toBe(3);
  });

  it("checkFinite throws E_NONFINITE naming the value and index under 'error', never under 'zero'", () => {
    expect(() => checkFinite([1, Infinity], 'x', 'zero')).not.toThrow();
    expect(() => checkFinite([1, 2], 'x', 'error')).not.toThrow();
    const e = caught(() => checkFinite([1, 2, -Infinity, NaN], 'grads', 'error'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.code).toBe('E_NONFINITE');
    expect(e.message).toBe("grads holds -Infinity at index 2; pass { nonFinite: 'zero' } to replace non-finite values with 0.");
    expect(caught(() => checkFinite([NaN], 'a', 'error')).message).toMatch(/^a holds NaN at index 0;/);
    expect(nonFiniteError('m', Infinity, 4).message).toBe("m holds Infinity at index 4; pass { nonFinite: 'zero' } to replace non-finite values with 0.");
  });

  it('zeroNonFinite zeroes NaN and ±Inf in place and counts them', () => {
    const x = new Float32Array([1, NaN, -2, Infinity, -Infinity, -0]);
    expect(zeroNonFinite(x)).toBe(3);
    expect(Array.from(x)).toEqual([1, 0, -2, 0, 0, -0]);
    expect(Object.is(x[5], -0)).toBe(true);
    expect(zeroNonFinite(new Float32Array(0))).toBe(0);
    expect(zeroNonFinite(new Float32Array([5, 6]))).toBe(0);
  });
});
