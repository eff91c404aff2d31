import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { f32Array, firstBitDiff, fuzzRuns, runFlavors, wildF32 } from '../helpers/kernels.js';

describe('relu', async () => {
  const rts = await allRuntimes();

  it('known answer: negatives and −0 become +0, NaN and +Inf pass through', () => {
    const x = [-1, 2, -0, 0, NaN, Infinity, -Infinity, 1e-45, -1e-45];
    for (const r of runFlavors(rts, [9, 9], [null, x], (k, [o, v]) => k.relu(o, v, 9))) {
      const got = Array.from(r.views[0]);
      expect(got.map((v) => (Object.is(v, -0) ? '-0' : v)), r.flavor).toEqual([0, 2, 0, 0, NaN, Infinity, 0, 1e-45, 0].map((v) => (Object.is(v, -0) ? '-0' : Math.fround(v))));
    }
  });

  it('a NaN with the sign bit set (x86\'s default NaN, e.g. from 0·Inf) stays NaN', () => {
    for (const len of [1, 4, 7]) {
      const x = new Float32Array(len).fill(-1);
      new Uint32Array(x.buffer)[len - 1] = 0xffc00000;
      expect(Number.isNaN(x[len - 1])).toBe(true);
      for (const r of runFlavors(rts, [len, len], [null, x], (k, [o, v]) => k.relu(o, v, len))) {
        expect(Number.isNaN(r.views[0][len - 1]), `${r.flavor} len ${len}`).toBe(true);
        expect(r.views[0][0], r.flavor).toBe(len === 1 ? NaN : 0);
      }
    }
  });

  it('wasm and twin agree bit for bit on every length 0–33, in place and out of place, NaN included', () => {
    for (let len = 0; len <= 33; len++) {
      const x = rand(len, len + 1);
      for (let i = 0; i < len; i += 5) x[i] = NaN;
      for (const inPlace of [false, true]) {
        const rs = runFlavors(rts, [len, len], [inPlace ? x : null, x], (k, [o, v]) => k.relu(o, inPlace ? o : v, len));
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), `${r.flavor} len ${len}`).toBe(-1);
        // The source is untouched when not aliased, and the element after the end is never written.
        if (!inPlace) expect(firstBitDiff(rs[0].views[1], x)).toBe(-1);
      }
    }
  });

  it('does not write past len', () => {
    const rs = runFlavors(rts, [8, 8], [[9, 9, 9, 9, 9, 9, 9, 9], [-1, -1, -1, -1, -1, -1, -1, -1]], (k, [o, v]) => k.relu(o, v, 5));
    for (const r of rs) expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0, 0, 9, 9, 9]);
  });

  it('property: same bits in every flavor, idempotent, never negative, NaN stays NaN', () => {
    const value = fc.oneof(wildF32(3e38), fc.constantFrom(NaN, Infinity, -Infinity));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }).chain((len) => f32Array(len, value)), (x) => {
        const len = x.length;
        const rs = runFlavors(rts, [len, len], [null, x], (k, [o, v]) => {
          k.relu(o, v, len);
          const once = Float32Array.from(o);
          k.relu(o, o, len);
          return once;
        });
        for (const r of rs) {
          expect(firstBitDiff(r.views[0], r.ret), `${r.flavor} idempotent`).toBe(-1);
          for (let i = 0; i < len; i++) {
            if (Number.isNaN(x[i])) expect(Number.isNaN(r.views[0][i])).toBe(true);
            else expect(Object.is(r.views[0][i], x[i] > 0 ? x[i] : 0)).toBe(true);
          }
        }
        for (const r of rs.slice(0, 2)) expect(firstBitDiff(r.views[0], rs[2].views[0]), r.flavor).toBe(-1);
      }),
      { numRuns: fuzzRuns() },
    );
  });

  it('the scalar build contains no SIMD instruction', () => {
    const wat = readFileSync(new URL('../../build/camkit.scalar.wat', import.meta.url), 'utf8');
    expect(wat).toMatch(/\(export "relu"/);
    expect(wat).not.toMatch(/v128|f32x4|f64x2|i32x4|i8x16|i16x8|i64x2/);
    const simd = readFileSync(new URL('../../build/camkit.simd.wat', import.meta.url), 'utf8');
    expect(simd).toMatch(/f32x4\.max/);
  });
});
