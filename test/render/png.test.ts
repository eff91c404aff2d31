import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { crc32, decodePng, encodePng } from '../../src/render/png.js';
import { decodeMapPng, encodeMapPng, loadMap, mapToJson, parseMapJson, readMap } from '../../src/render/mapfile.js';
import { rand } from '../helpers/flavors.js';

const pngjsRead = (b: Uint8Array) => PNG.sync.read(Buffer.from(b), { skipRescale: true } as never);

describe('PNG (camkit writer/reader vs pngjs)', () => {
  it('crc32 known answer', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('RGBA8 written by camkit reads back in pngjs, byte for byte', async () => {
    const w = 7, h = 5;
    const data = Uint8Array.from(rand(w * h * 4, 3, 0, 256), Math.floor);
    const png = await encodePng({ width: w, height: h, color: 'rgba', bitDepth: 8, data });
    const back = pngjsRead(png);
    expect([back.width, back.height]).toEqual([w, h]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('16-bit grayscale maps survive camkit → pngjs and pngjs (all filters) → camkit', async () => {
    const map = { width: 13, height: 6, values: rand(78, 5, 0, 1) };
    map.values[0] = 0;
    map.values[1] = 1;
    const bytes = await encodeMapPng(map);
    const pj = pngjsRead(bytes) as unknown as { depth: number; data: Uint16Array | Buffer };
    expect(pj.depth).toBe(16);
    const back = await decodeMapPng(bytes);
    for (let i = 0; i < 78; i++) expect(Math.abs(back.values[i] - map.values[i])).toBeLessThanOrEqual(0.5 / 65535 + 1e-7);
    // pngjs writes with adaptive filters (Sub/Up/Average/Paeth), which exercises every unfilter path.
    const src = new PNG({ width: 9, height: 4, colorType: 6, inputColorType: 6, bitDepth: 8, filterType: -1 } as never);
    const px = Uint8Array.from(rand(9 * 4 * 4, 8, 0, 256), Math.floor);
    src.data = Buffer.from(px);
    for (const filterType of [0, 1, 2, 3, 4]) {
      const enc = PNG.sync.write(src, { filterType, colorType: 6 } as never);
      const dec = await decodePng(new Uint8Array(enc));
      expect([dec.color, dec.bitDepth, dec.width]).toEqual(['rgba', 8, 9]);
      expect(Array.from(dec.data), `filter ${filterType}`).toEqual(Array.from(px));
    }
  });

  it('8-bit maps quantise to 1/255; truncated, corrupt and non-PNG inputs throw FileError', async () => {
    const map = { width: 4, height: 1, values: new Float32Array([0, 0.25, 0.5, 1]) };
    const b8 = await encodeMapPng(map, { bitDepth: 8 });
    expect(Array.from((await decodeMapPng(b8)).values).map((v) => Math.round(v * 255))).toEqual([0, 64, 128, 255]);
    await expect(decodePng(b8.subarray(0, b8.length - 20))).rejects.toMatchObject({ code: 'E_FILE' });
    const bad = b8.slice();
    bad[40] ^= 0xff;
    await expect(decodePng(bad)).rejects.toMatchObject({ code: 'E_FILE' });
    await expect(decodePng(new Uint8Array(20))).rejects.toThrow(/signature/);
    const color = new PNG({ width: 1, height: 1 });
    color.data = Buffer.from([255, 0, 0, 255]);
    await expect(decodeMapPng(new Uint8Array(PNG.sync.write(color)))).rejects.toThrow(/not gray/);
  });
});

describe('camkit-map/1 JSON', () => {
  it('round-trips through text, bytes and data: URLs; rejects bad maps', async () => {
    const map = { width: 3, height: 2, values: Float32Array.from([0, 0.1, 0.2, 0.5, 0.9, 1]) };
    const text = JSON.stringify(mapToJson(map));
    expect(JSON.parse(text).format).toBe('camkit-map/1');
    expect(parseMapJson(text)).toEqual(map);
    expect(await readMap(new TextEncoder().encode(text))).toEqual(map);
    const url = `data:application/json;base64,${Buffer.from(text).toString('base64')}`;
    expect(await loadMap(url)).toEqual(map);
    const pngUrl = `data:image/png;base64,${Buffer.from(await encodeMapPng(map)).toString('base64')}`;
    expect(Array.from((await loadMap(pngUrl)).values).every((v, i) => Math.abs(v - map.values[i]) < 1e-5)).toBe(true);
    expect(() => parseMapJson({ format: 'x', width: 1, height: 1, values: [0] })).toThrow(/camkit-map\/1/);
    expect(() => parseMapJson('{"format":"camkit-map/1","width":2,"height":2,"values":[0,1,0]}')).toThrow(/needs 4 values/);
    expect(() => parseMapJson('{"format":"camkit-map/1","width":1,"height":1,"values":[1.5]}')).toThrow(/\[0, 1\]/);
    expect(() => parseMapJson('{nope')).toThrow(expect.objectContaining({ code: 'E_FILE' }));
    expect(() => mapToJson({ width: 1, height: 1, values: new Float32Array([NaN]) })).toThrow(expect.objectContaining({ code: 'E_NONFINITE' }));
  });
});
