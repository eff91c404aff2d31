import { describe, expect, it } from 'vitest';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { colormapLut } from '../../src/render/colormaps.js';
import { renderHeatmapSync, renderOverlaySync } from '../../src/render/overlay.js';
import { legend } from '../../src/render/legend.js';
import { toImageData } from '../../src/render/canvas.js';
import { resize_bilinear } from '../../src/kernels/resize_bilinear.js';

describe('render', async () => {
  const rts = await allRuntimes();
  const img = { width: 8, height: 6, data: Uint8ClampedArray.from(rand(8 * 6 * 4, 4, 0, 256), Math.floor) };

  it('same-size overlay equals the kernel applied directly; all flavors agree', () => {
    const map = { width: 8, height: 6, values: rand(48, 2, 0, 1) };
    const outs = Object.values(rts).map((rt) => renderOverlaySync(map, img, { opacity: 0.4, colormap: 'viridis' }, rt));
    const direct = new Uint8Array(48 * 4);
    rts.js.kernels.overlay(direct, map.values, new Uint8Array(img.data), 48, colormapLut('viridis'), 0.4, 0);
    for (const o of outs) {
      expect(o.data).toBeInstanceOf(Uint8ClampedArray);
      expect(Array.from(o.data)).toEqual(Array.from(direct));
    }
  });

  it('a low-res map is resized bilinearly to the image before overlay (show_cam_on_image style)', () => {
    const map = { width: 3, height: 2, values: Float32Array.from([0, 0.5, 1, 1, 0.5, 0]) };
    const up = new Float32Array(48);
    resize_bilinear(up, map.values, new Float32Array(2 * 8), 1, 2, 3, 6, 8, 0);
    const want = new Uint8Array(48 * 4);
    rts.js.kernels.overlay(want, up, new Uint8Array(img.data), 48, colormapLut('jet'), 0.5, 1);
    // Every flavor, none skipped: a broken wasm resize_bilinear (SIMD or scalar) must fail here.
    expect(Object.keys(rts).sort()).toEqual(['js', 'scalar', 'simd']);
    for (const rt of Object.values(rts)) {
      const o = renderOverlaySync(map, img, { style: 'show_cam_on_image' }, rt);
      expect(Array.from(o.data), rt.flavor).toEqual(Array.from(want));
    }
    const hm = renderHeatmapSync(map, { width: 8, height: 6, gamma: 2 }, rts.js);
    expect([hm.width, hm.height, hm.data[3]]).toEqual([8, 6, 255]);
  });

  it('validates before allocating', () => {
    const rt = rts.js;
    const before = rt.arena.byteLength;
    const map = { width: 8, height: 6, values: new Float32Array(48) };
    expect(() => renderOverlaySync({ ...map, values: new Float32Array(5) }, img, {}, rt)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(() => renderOverlaySync(map, { ...img, data: new Uint8ClampedArray(3) }, {}, rt)).toThrow(/bytes/);
    expect(() => renderOverlaySync(map, img, { opacity: 2 }, rt)).toThrow(/opacity/);
    expect(() => renderOverlaySync(map, img, { colormap: 'virdis' as never }, rt)).toThrow(/viridis/);
    expect(() => renderOverlaySync({ width: 0, height: 6, values: new Float32Array(0) }, img, {}, rt)).toThrow(expect.objectContaining({ code: 'E_EMPTY' }));
    expect(rt.arena.byteLength).toBe(before);
  });

  it('legend: 0 … 1 ramp across the bar, ticks at the requested values, ImageData-shaped', () => {
    const l = legend({ width: 101, height: 20, ticks: [0, 0.5, 1], colormap: 'gray' });
    expect([l.width, l.height, l.data.length]).toEqual([101, 20, 101 * 20 * 4]);
    const px = (x: number, y: number) => Array.from(l.data.subarray((y * 101 + x) * 4, (y * 101 + x) * 4 + 4));
    expect(px(0, 0)).toEqual([0, 0, 0, 255]);
    expect(px(100, 0)).toEqual([255, 255, 255, 255]);
    expect(px(25, 0)[0]).toBe(Math.trunc(Math.fround(0.25 * 255)));
    expect(px(50, 19)).toEqual([0, 0, 0, 255]); // tick mark below the bar
    expect(px(49, 19)).toEqual([0, 0, 0, 0]); // transparent between ticks
    const id = toImageData(l);
    expect([id.width, id.height, id.data.length]).toEqual([101, 20, 8080]);
    expect(() => legend({ ticks: [1.5] })).toThrow(/ticks/);
  });
});
