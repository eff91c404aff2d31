// The synthetic shapes behind the default model, the samples and `camkit eval`.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { SHAPE_CLASSES, makeShapeImage, makeShapeSet, toRGBA8 } from '../../src/cli/shapes.js';

describe('synthetic shapes', () => {
  it('are deterministic per seed and differ between seeds', () => {
    const a = makeShapeImage(42), b = makeShapeImage(42), c = makeShapeImage(43);
    expect(a.pixels).toEqual(b.pixels);
    expect(a.objects).toEqual(b.objects);
    expect(a.pixels).not.toEqual(c.pixels);
  });

  it('boxes are inside the image, never overlap, match the labels, and hold the shape colour', () => {
    for (const im of makeShapeSet(200, 1234)) {
      expect(im.objects.length).toBeGreaterThanOrEqual(1);
      expect(im.objects.length).toBeLessThanOrEqual(3);
      const labels = new Float32Array(SHAPE_CLASSES.length);
      im.objects.forEach((o, i) => {
        labels[o.classIndex] = 1;
        expect(SHAPE_CLASSES[o.classIndex]).toBe(o.kind);
        expect(o.box.x0).toBeGreaterThanOrEqual(0);
        expect(o.box.y0).toBeGreaterThanOrEqual(0);
        expect(o.box.x1).toBeLessThanOrEqual(im.width);
        expect(o.box.y1).toBeLessThanOrEqual(im.height);
        for (const p of im.objects.slice(i + 1)) {
          const overlap = o.box.x0 < p.box.x1 && p.box.x0 < o.box.x1 && o.box.y0 < p.box.y1 && p.box.y0 < o.box.y1;
          expect(overlap).toBe(false);
        }
        // the box centre row holds pixels close to the shape colour (every shape covers its centre row)
        const cy = Math.floor((o.box.y0 + o.box.y1 - 1) / 2);
        let best = Infinity;
        for (let x = o.box.x0; x < o.box.x1; x++) {
          const d = Math.max(...[0, 1, 2].map((c) => Math.abs(im.pixels[(cy * im.width + x) * 3 + c] - o.color[c])));
          best = Math.min(best, d);
        }
        expect(best).toBeLessThan(0.3);
      });
      expect(Array.from(im.labels)).toEqual(Array.from(labels));
    }
  });

  it('the bundled samples are what the training script generates, and their boxes.json matches', () => {
    const dir = resolve(import.meta.dirname, '../../models/default/samples');
    const boxes = JSON.parse(readFileSync(join(dir, 'boxes.json'), 'utf8'));
    expect(boxes.format).toBe('camkit-boxes/1');
    expect(Object.keys(boxes.images)).toHaveLength(6);
    for (const [name, objs] of Object.entries(boxes.images) as [string, Array<{ class: string; classIndex: number; box: number[] }>][]) {
      const png = PNG.sync.read(readFileSync(join(dir, name)));
      expect([png.width, png.height]).toEqual([64, 64]);
      expect(objs.length).toBeGreaterThanOrEqual(2);
      for (const o of objs) expect(SHAPE_CLASSES[o.classIndex]).toBe(o.class);
    }
    // sample-1 is the first seed of the sample range with ≥ 2 shapes: regenerate and compare pixels
    const im = makeShapeImage(500_000_000, { minObjects: 2, maxObjects: 3 });
    const png = PNG.sync.read(readFileSync(join(dir, 'sample-1.png')));
    expect(Array.from(png.data)).toEqual(Array.from(toRGBA8(im)));
  });
});
