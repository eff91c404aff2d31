import { describe, expect, it } from 'vitest';
import { NameError, OptionError } from '../../src/errors.js';
import { resolvePreprocess, toModelInput, PREPROCESS_NAMES } from '../../src/core/preprocess.js';

// Two pixels: pure red (alpha 255) and a gray (alpha 0).
const px = Uint8Array.from([255, 0, 0, 255, 100, 150, 200, 0]);

describe('preprocess presets', () => {
  it('0-1, 0-255 and -1-1 scale every channel', () => {
    expect(Array.from(toModelInput(px, 2, 1, 3, resolvePreprocess('0-1')))).toEqual([1, 0, 0, 100 / 255, 150 / 255, 200 / 255].map(Math.fround));
    expect(Array.from(toModelInput(px, 2, 1, 3, resolvePreprocess('0-255')))).toEqual([255, 0, 0, 100, 150, 200]);
    const m = toModelInput(px, 2, 1, 3, resolvePreprocess('-1-1'));
    expect(m[0]).toBeCloseTo(1, 6);
    expect(m[1]).toBeCloseTo(-1, 6);
    expect(m[4]).toBeCloseTo(150 / 127.5 - 1, 6);
  });
  it('imagenet is torchvision mean/std on pixels/255', () => {
    const m = toModelInput(px, 2, 1, 3, resolvePreprocess('imagenet'));
    expect(m[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(m[5]).toBeCloseTo((200 / 255 - 0.406) / 0.225, 5);
  });
  it('caffe is BGR on 0-255 minus the Caffe means', () => {
    const m = toModelInput(px, 2, 1, 3, resolvePreprocess('caffe'));
    expect(m[0]).toBeCloseTo(0 - 103.939, 4); // B of red
    expect(m[2]).toBeCloseTo(255 - 123.68, 4); // R of red
    expect(m[3]).toBeCloseTo(200 - 103.939, 4);
  });
  it('1 channel is BT.601 luma, 4 channels keep alpha', () => {
    const g = toModelInput(px, 2, 1, 1, resolvePreprocess('0-1'));
    expect(g[0]).toBeCloseTo(0.299, 6);
    expect(g[1]).toBeCloseTo((0.299 * 100 + 0.587 * 150 + 0.114 * 200) / 255, 6);
    const a = toModelInput(px, 2, 1, 4, resolvePreprocess('0-1'));
    expect([a[3], a[7]]).toEqual([1, 0]);
  });
  it('overrides replace mean/std; bad values are typed errors', () => {
    const p = resolvePreprocess('0-1', { mean: [0.5], std: [0.5, 0.5, 0.5] });
    expect(toModelInput(px, 2, 1, 3, p)[0]).toBeCloseTo(1, 6);
    expect(() => resolvePreprocess('imagenett')).toThrow(NameError);
    expect(() => resolvePreprocess('0-1', { std: [0] })).toThrow(OptionError);
    expect(() => resolvePreprocess('0-1', { mean: [1, 2] })).toThrow(OptionError);
    expect(() => toModelInput(px, 2, 1, 2, resolvePreprocess())).toThrow(OptionError);
    expect(PREPROCESS_NAMES).toEqual(['0-1', '0-255', '-1-1', 'imagenet', 'caffe']);
  });
});
