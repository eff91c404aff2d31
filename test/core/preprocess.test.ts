import { describe, expect, it } from 'vitest';
import { NameError, OptionError } from '../../src/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD, LUMA_601, resolvePreprocess, toModelInput, PREPROCESS_NAMES } from '../../src/core/preprocess.js';

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

  it('the default preset is 0-1; overrides of one or three values, scale; presets are copied', () => {
    expect(resolvePreprocess()).toEqual({ scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], order: 'rgb' });
    expect(resolvePreprocess(undefined, { mean: [0.1, 0.2, 0.3], std: [2] })).toEqual({ scale: 1 / 255, mean: [0.1, 0.2, 0.3], std: [2, 2, 2], order: 'rgb' });
    expect(resolvePreprocess('caffe', { scale: 2 })).toEqual({ scale: 2, mean: [123.68, 116.779, 103.939], std: [1, 1, 1], order: 'bgr' });
    expect(resolvePreprocess('imagenet', { std: [1, 2, 4] }).std).toEqual([1, 2, 4]);
    const p = resolvePreprocess('imagenet');
    expect(p.mean).toEqual([...IMAGENET_MEAN]);
    expect(p.mean).not.toBe(IMAGENET_MEAN);
    expect(p.std).toEqual([...IMAGENET_STD]);
  });

  it('bad presets, means, stds and scales: typed errors with the offending value', () => {
    expect(() => resolvePreprocess('toString')).toThrow(NameError);
    expect(() => resolvePreprocess('imagenett')).toThrow(/^Unknown preprocess preset 'imagenett'\./);
    for (const bad of [[], [1, 2, 3, 4], [NaN], [Infinity, 1, 1], ['1'], 0.5]) {
      expect(() => resolvePreprocess('0-1', { mean: bad as number[] }), JSON.stringify(bad)).toThrow(OptionError);
      expect(() => resolvePreprocess('0-1', { std: bad as number[] })).toThrow(`std must be one number or three (R,G,B), got ${JSON.stringify(bad)}.`);
    }
    expect(() => resolvePreprocess('0-1', { mean: [1, 2] })).toThrow('mean must be one number or three (R,G,B), got [1,2].');
    expect(() => resolvePreprocess('0-1', { std: [1, 0, 1] })).toThrow('std must be > 0, got 1,0,1.');
    expect(() => resolvePreprocess('0-1', { std: [-1] })).toThrow(OptionError);
    for (const scale of [0, -1, NaN, Infinity]) expect(() => resolvePreprocess('0-1', { scale })).toThrow(`The input scale must be a positive number, got ${scale}.`);
  });

  it('1 channel uses the luma-weighted mean and std; 4 channels scale alpha only; out is filled in place', () => {
    const p = resolvePreprocess('imagenet');
    const m = LUMA_601[0] * IMAGENET_MEAN[0] + LUMA_601[1] * IMAGENET_MEAN[1] + LUMA_601[2] * IMAGENET_MEAN[2];
    const sd = LUMA_601[0] * IMAGENET_STD[0] + LUMA_601[1] * IMAGENET_STD[1] + LUMA_601[2] * IMAGENET_STD[2];
    const g = toModelInput(px, 2, 1, 1, p);
    expect(g).toHaveLength(2);
    expect(g[0]).toBeCloseTo((0.299 - m) / sd, 5);
    expect(g[1]).toBeCloseTo(((0.299 * 100 + 0.587 * 150 + 0.114 * 200) / 255 - m) / sd, 5);
    const a = toModelInput(px, 2, 1, 4, p);
    expect(a).toHaveLength(8);
    expect(a[3]).toBeCloseTo(1, 6);
    expect(a[4]).toBeCloseTo((100 / 255 - 0.485) / 0.229, 5);
    expect(a[6]).toBeCloseTo((200 / 255 - 0.406) / 0.225, 5);
    const c = toModelInput(px, 2, 1, 4, resolvePreprocess('caffe'));
    expect(Array.from(c).map((v) => Math.round(v * 1000) / 1000)).toEqual([-103.939, -116.779, 131.32, 255, 96.061, 33.221, -23.68, 0]);
    const out = new Float32Array(6).fill(9);
    expect(toModelInput(px, 2, 1, 3, resolvePreprocess('0-255'), out)).toBe(out);
    expect(Array.from(out)).toEqual([255, 0, 0, 100, 150, 200]);
    // A grayscale image: the three channels of a gray pixel give the gray value itself.
    expect(toModelInput([80, 80, 80, 255], 1, 1, 1, resolvePreprocess('0-255'))[0]).toBeCloseTo(80, 4);
  });

  it('writes nothing past n·channels values of a larger out, and alpha lands on every pixel', () => {
    const img = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    for (const ch of [1, 3, 4]) {
      const out = new Float32Array(3 * ch + 4).fill(7);
      toModelInput(img, 3, 1, ch, resolvePreprocess('0-255'), out);
      expect(Array.from(out.subarray(3 * ch)), `${ch} channels`).toEqual([7, 7, 7, 7]);
      if (ch === 4) expect([out[3], out[7], out[11]]).toEqual([40, 80, 120]);
      if (ch === 3) expect(Array.from(out.subarray(0, 9))).toEqual([10, 20, 30, 50, 60, 70, 90, 100, 110]);
    }
  });

  it('channel counts other than 1, 3 and 4 and short pixel buffers are OptionErrors', () => {
    for (const ch of [0, 2, 5]) expect(() => toModelInput(px, 2, 1, ch, resolvePreprocess())).toThrow(`Models with ${ch} input channels are not supported (1, 3 or 4).`);
    expect(() => toModelInput(px.subarray(0, 7), 2, 1, 3, resolvePreprocess())).toThrow('7 RGBA bytes for a 2×1 image.');
    expect(() => toModelInput(px, 1, 3, 3, resolvePreprocess())).toThrow(OptionError);
    expect(toModelInput(px, 1, 2, 3, resolvePreprocess('0-255'))).toHaveLength(6);
  });
});
