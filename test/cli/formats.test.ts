// Image formats the CLI reads: the same 16×16 picture as PNG, GIF, BMP, WebP and JPEG (encoded outside
// camkit, see test/fixtures/images/README.md) decodes to the same pixels within each format's loss; a
// 24-bit BMP written by hand here; a lossless WebP round trip; and `camkit explain` on each format.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/camkit.js';
import { checkImageFile, decodeImage, readImage, sniffFormat } from '../../src/cli/decode.js';
import { FileError } from '../../src/errors.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/images');
const SAMPLES = join(ROOT, 'models/default/samples');
const work = mkdtempSync(join(tmpdir(), 'camkit-formats-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Mean and max |difference| of premultiplied RGB over the pixels opaque in the reference. */
function diff(a: { data: ArrayLike<number> }, ref: { data: ArrayLike<number> }) {
  let max = 0, sum = 0, n = 0;
  for (let p = 0; p < ref.data.length / 4; p++) {
    if (ref.data[p * 4 + 3] !== 255) continue;
    n++;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs((a.data[p * 4 + c] * a.data[p * 4 + 3]) / 255 - ref.data[p * 4 + c]);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (3 * n), n };
}

/** A 24-bit bottom-up BMP (BITMAPINFOHEADER, rows padded to 4 bytes), written byte by byte. */
function bmp24(w: number, h: number, rgb: (x: number, y: number) => [number, number, number]): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(54 + row * h);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, bl] = rgb(x, y);
      const o = 54 + (h - 1 - y) * row + x * 3;
      b[o] = bl;
      b[o + 1] = g;
      b[o + 2] = r;
    }
  return b;
}

describe('decoders', () => {
  it('tells formats by signature, not by name', () => {
    expect(['png', 'gif', 'bmp', 'webp', 'jpg'].map((f) => sniffFormat(readFileSync(join(FIX, `python.${f}`))))).toEqual(['png', 'gif', 'bmp', 'webp', 'jpeg']);
    expect(sniffFormat(new TextEncoder().encode('{"not": "an image"}'))).toBeNull();
  });

  it('GIF, BMP, WebP and JPEG of one picture decode to the PNG’s pixels within each format’s loss', async () => {
    const png = await readImage(join(FIX, 'python.png'));
    expect([png.width, png.height]).toEqual([16, 16]);
    const bmp = await readImage(join(FIX, 'python.bmp'));
    expect(Array.from(bmp.data)).toEqual(Array.from(png.data)); // 32-bit BMP with the same alpha: exact
    const gif = await readImage(join(FIX, 'python.gif'));
    expect(diff(gif, png).max).toBeLessThanOrEqual(4); // palette quantisation
    const webp = await readImage(join(FIX, 'python.webp'));
    expect([webp.width, webp.height]).toEqual([16, 16]);
    expect(diff(webp, png).mean).toBeLessThan(15); // lossy VP8 at 16×16
    const jpg = await readImage(join(FIX, 'python.jpg'));
    expect(diff(jpg, png).mean).toBeLessThan(15);
  });

  it('a 24-bit BMP written by hand: exact pixels, opaque, top row first', async () => {
    const f = (x: number, y: number): [number, number, number] => [x * 40, y * 60, 255 - x * 20];
    const im = await decodeImage(bmp24(5, 3, f), 'hand.bmp');
    expect([im.width, im.height]).toEqual([5, 3]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) expect(Array.from(im.data.subarray((y * 5 + x) * 4, (y * 5 + x + 1) * 4))).toEqual([...f(x, y), 255]);
  });

  it('a lossless WebP (libwebp’s encoder) round-trips exactly', async () => {
    const req = createRequire(import.meta.url);
    const enc = await import('@jsquash/webp/encode.js');
    await enc.init(await WebAssembly.compile(readFileSync(req.resolve('@jsquash/webp/codec/enc/webp_enc.wasm'))));
    const data = new Uint8ClampedArray(7 * 5 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 29) % 256));
    const bytes = new Uint8Array(await enc.default({ width: 7, height: 5, data, colorSpace: 'srgb' } as ImageData, { lossless: 1 }));
    const im = await decodeImage(bytes, 'x.webp');
    expect(Array.from(im.data)).toEqual(Array.from(data));
  });

  it('bad files: corrupt data, an unknown format, an oversized header (checked from 64 bytes)', async () => {
    const gif = readFileSync(join(FIX, 'python.gif'));
    await expect(decodeImage(gif.subarray(0, 30), 'cut.gif')).rejects.toThrow(/Cannot decode cut\.gif: corrupt or unsupported GIF/);
    const webp = readFileSync(join(FIX, 'python.webp'));
    await expect(decodeImage(webp.subarray(0, 60), 'cut.webp')).rejects.toThrow(/corrupt or unsupported WebP/);
    await expect(decodeImage(new Uint8Array(40), 'zeros.bin')).rejects.toThrow(/Unsupported image format: zeros\.bin \(camkit reads PNG, JPEG, GIF, BMP and WebP\)/);
    const huge = Buffer.from(bmp24(2, 2, () => [0, 0, 0]));
    huge.writeInt32LE(20000, 18);
    huge.writeInt32LE(20000, 22);
    writeFileSync(join(work, 'huge.bmp'), huge);
    expect(() => checkImageFile(join(work, 'huge.bmp'))).toThrow(FileError);
    expect(() => checkImageFile(join(work, 'huge.bmp'))).toThrow(/too large \(20000×20000\)/);
  });
});

describe('camkit explain on each format', () => {
  it('a sample as BMP and as lossless WebP gives exactly the PNG’s map; a GIF runs too', async () => {
    const png = PNG.sync.read(readFileSync(join(SAMPLES, 'sample-4.png')));
    const rgba = new Uint8Array(png.data);
    writeFileSync(join(work, 's.bmp'), bmp24(64, 64, (x, y) => [rgba[(y * 64 + x) * 4], rgba[(y * 64 + x) * 4 + 1], rgba[(y * 64 + x) * 4 + 2]]));
    const req = createRequire(import.meta.url);
    const enc = await import('@jsquash/webp/encode.js');
    await enc.init(await WebAssembly.compile(readFileSync(req.resolve('@jsquash/webp/codec/enc/webp_enc.wasm'))));
    writeFileSync(join(work, 's.webp'), new Uint8Array(await enc.default({ width: 64, height: 64, data: new Uint8ClampedArray(rgba), colorSpace: 'srgb' } as ImageData, { lossless: 1 })));
    const err: string[] = [];
    const out: string[] = [];
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    let code: number;
    try {
      code = await main(['explain', join(SAMPLES, 'sample-4.png'), join(work, 's.bmp'), join(work, 's.webp'), join(FIX, 'python.gif'), '--out', join(work, 'out'), '--json', '--quiet']);
    } finally {
      e.mockRestore();
      o.mockRestore();
    }
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(out.join('')).results;
    expect(r.map((x: { files: { overlay: string } }) => x.files.overlay.split('/').pop())).toEqual(['sample-4.GradCAM.png', 's.GradCAM.png', 's-2.GradCAM.png', 'python.GradCAM.png']);
    // BMP and lossless WebP carry the same pixels as the PNG: the same bytes out
    const map = (f: string) => readFileSync(join(work, 'out', f));
    expect(map('s.GradCAM.map.json').equals(map('sample-4.GradCAM.map.json'))).toBe(true);
    expect(map('s-2.GradCAM.map.json').equals(map('sample-4.GradCAM.map.json'))).toBe(true);
    expect(r[1].class).toBe(r[0].class);
    expect(existsSync(join(work, 'out', 'python.GradCAM.map.png'))).toBe(true);
    expect([r[3].width, r[3].height]).toEqual([16, 16]);
  });
});
