// `camkit eval --images DIR --labels FILE` on a small labelled set written here as PNG files (shapes
// with known boxes): JSON lines and CSV manifests give the same table; boxes and labels are honoured.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { runCli } from '../helpers/cli.js';
import { parseCsv, readManifest } from '../../src/cli/manifest.js';
import { makeShapeImage, SHAPE_CLASSES, toRGBA8 } from '../../src/cli/shapes.js';

const work = mkdtempSync(join(tmpdir(), 'camkit-evaldata-'));
const imgs = join(work, 'images');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = runCli;

const N = 7;
beforeAll(() => {
  mkdirSync(imgs, { recursive: true });
  const jsonl: string[] = [];
  const csv = ['image,label,x0,y0,x1,y1'];
  for (let i = 0; i < N; i++) {
    const im = makeShapeImage(800_000 + i, { width: 64, height: 64 });
    const p = new PNG({ width: 64, height: 64 });
    p.data = Buffer.from(toRGBA8(im));
    writeFileSync(join(imgs, `im${i}.png`), PNG.sync.write(p));
    const cls = im.objects[0].classIndex;
    const boxes = im.objects.filter((o) => o.classIndex === cls).map((o) => [o.box.x0, o.box.y0, o.box.x1, o.box.y1]);
    // the last image has no boxes (localisation columns skip it); one label by name, one by index
    const label = i % 2 ? SHAPE_CLASSES[cls] : cls;
    jsonl.push(JSON.stringify(i === N - 1 ? { image: `im${i}.png`, label } : { image: `im${i}.png`, label, boxes }));
    if (i === N - 1) csv.push(`im${i}.png,${label},,,,`);
    else for (const b of boxes) csv.push(`im${i}.png,${label},${b.join(',')}`);
  }
  writeFileSync(join(work, 'labels.jsonl'), jsonl.join('\n') + '\n');
  writeFileSync(join(work, 'labels.csv'), csv.join('\r\n') + '\r\n');
});

describe('camkit eval on labelled images', () => {
  let a: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    a = await cli(['eval', '--images', imgs, '--labels', join(work, 'labels.jsonl'), '--method', 'gradcam,eigencam', '--json', '--quiet', '--steps', '5', '--batch', '3']);
  });

  it('JSON lines: one row per method, metrics in range, boxed images counted', () => {
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j.n).toBe(N);
    expect(j.boxed).toBe(N - 1);
    expect(j.scores).toBe('sigmoid');
    expect(j.rows.map((r: { method: string }) => r.method)).toEqual(['GradCAM', 'EigenCAM']);
    for (const r of j.rows) {
      for (const k of ['pointing', 'pointingStrict', 'energy', 'increase', 'deletion', 'insertion']) {
        expect(r[k]).toBeGreaterThanOrEqual(0);
        expect(r[k]).toBeLessThanOrEqual(1);
      }
      expect(r.msPerImage).toBeGreaterThan(0);
    }
    // the default model's Grad-CAM points at the labelled shapes (these are in-distribution images)
    expect(j.rows[0].pointing).toBeGreaterThanOrEqual(4 / 6);
    expect(j.rows[0].insertion).toBeGreaterThan(j.rows[0].deletion);
  });

  it('the CSV manifest gives the same numbers; the markdown table has the same header as npm run eval', async () => {
    const b = await cli(['eval', '--images', imgs, '--labels', join(work, 'labels.csv'), '--method', 'gradcam,eigencam', '--json', '--quiet', '--steps', '5', '--batch', '3']);
    expect(b.code).toBe(0);
    const ra = JSON.parse(a.stdout).rows, rb = JSON.parse(b.stdout).rows;
    for (let i = 0; i < ra.length; i++) for (const k of ['pointing', 'pointingStrict', 'energy', 'averageDrop', 'increase', 'deletion', 'insertion']) expect(rb[i][k]).toBeCloseTo(ra[i][k], 6);
    const md = await cli(['eval', '--images', imgs, '--labels', join(work, 'labels.csv'), '--method', 'gradcam', '--quiet', '--steps', '5', '--out', join(work, 'table.md')]);
    expect(md.code).toBe(0);
    expect(md.stdout.split('\n')[0]).toMatch(/^\| Method \| Pointing game \(↑\) \| Pointing, strict/);
    expect(md.stdout).toMatch(/7 images from .*labels\.csv \(6 with boxes/);
    expect(readFileSync(join(work, 'table.md'), 'utf8')).toBe(md.stdout);
  });

  it('labels change the explained class: a wrong label lowers the energy pointing game', async () => {
    const wrong = readFileSync(join(work, 'labels.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const o = JSON.parse(l);
        const c = typeof o.label === 'number' ? o.label : SHAPE_CLASSES.indexOf(o.label);
        return JSON.stringify({ ...o, label: (c + 2) % 5 });
      });
    writeFileSync(join(work, 'wrong.jsonl'), wrong.join('\n'));
    const w = await cli(['eval', '--images', imgs, '--labels', join(work, 'wrong.jsonl'), '--method', 'gradcam', '--json', '--quiet', '--steps', '5']);
    expect(JSON.parse(w.stdout).rows[0].energy).toBeLessThan(JSON.parse(a.stdout).rows[0].energy);
  });

  it('bad manifests: one line naming the file and line', async () => {
    writeFileSync(join(work, 'bad.jsonl'), '{"image": "im0.png", "label": 0}\n{"image": "im1.png", "boxes": [[5, 5, 2, 9]]}\n');
    const r1 = await cli(['eval', '--images', imgs, '--labels', join(work, 'bad.jsonl'), '--quiet']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^camkit: .*bad\.jsonl:2: a box must be \[x0, y0, x1, y1\] with x0 < x1/);
    writeFileSync(join(work, 'bad2.jsonl'), '{"image": "im0.png", "label": "triangle"}\n');
    expect((await cli(['eval', '--images', imgs, '--labels', join(work, 'bad2.jsonl'), '--quiet'])).stderr).toMatch(/Unknown class 'triangle'/);
    writeFileSync(join(work, 'bad3.jsonl'), '{"image": "nope.png", "label": 1}\n');
    expect((await cli(['eval', '--images', imgs, '--labels', join(work, 'bad3.jsonl'), '--quiet'])).stderr).toMatch(/No such file: .*nope\.png/);
    expect((await cli(['eval', '--images', imgs, '--quiet'])).stderr).toMatch(/needs --labels FILE/);
    expect((await cli(['eval', '--preprocess', 'imagenet', '--quiet'])).stderr).toMatch(/--preprocess applies to your own images/);
  });
});

describe('manifest parsing', () => {
  it('CSV: quoted fields, CRLF, rows of one image add boxes; paths relative to --images', () => {
    expect(parseCsv('a,"b,c","d""e"\r\n\r\nx,y,z\n').map((r) => r.cells)).toEqual([['a', 'b,c', 'd"e'], ['x', 'y', 'z']]);
    writeFileSync(join(work, 'm.csv'), 'image,label,x0,y0,x1,y1\n"my im.png",2,0,0,4,4\nmy im.png,2,5,5,8,9\nother.png,,,,,\n');
    const m = readManifest(join(work, 'm.csv'), '/data', null);
    expect(m).toEqual([
      { image: '/data/my im.png', name: 'my im.png', label: 2, boxes: [{ x0: 0, y0: 0, x1: 4, y1: 4 }, { x0: 5, y0: 5, x1: 8, y1: 9 }] },
      { image: '/data/other.png', name: 'other.png', label: 'top1', boxes: [] },
    ]);
  });
});
