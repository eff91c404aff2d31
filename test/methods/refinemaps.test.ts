// RefineCAM's combination of final maps (src/methods/refinecam.ts refineMaps), without a model:
// the element-wise product of the layers' maps, then min-max (eps 1e-7) per image.
import { describe, expect, it } from 'vitest';
import { absErr } from '../helpers/flavors.js';
import { refineMaps } from '../../src/methods/refinecam.js';

describe('refineMaps', () => {
  it('multiplies the maps and min-max normalises each image on its own', () => {
    const a = Float32Array.of(2, 4, 1, 3), b = Float32Array.of(1, 1, 1, 1), c = Float32Array.of(1, 0.5, 2, 1);
    expect(absErr(refineMaps([a, b], 2), [0, 1, 0, 1])).toBeLessThanOrEqual(1e-6);
    // Three maps, one image: product [2, 2, 2, 3] → [0, 0, 0, 1].
    expect(absErr(refineMaps([a, b, c], 1), [0, 0, 0, 1])).toBeLessThanOrEqual(1e-6);
    // One map: min-max of the map; the inputs are left alone.
    expect(absErr(refineMaps([a], 1), [1 / 3, 1, 0, 2 / 3])).toBeLessThanOrEqual(1e-6);
    expect(Array.from(a)).toEqual([2, 4, 1, 3]);
    // A constant image stays 0 (no division by ~0), the eps shows on tiny ranges.
    expect(Array.from(refineMaps([Float32Array.of(5, 5)], 1))).toEqual([0, 0]);
    expect(absErr(refineMaps([Float32Array.of(0, 1e-7)], 1), [0, 0.5])).toBeLessThanOrEqual(1e-6);
  });
});
