// Inputs of `camkit explain`: files, folders, globs → ordered images with stable keys and unique stems;
// the --shard rule (a hash of the key, not a position).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs, parseShard, selectShard, shardOf } from '../../src/cli/inputs.js';
import { OptionError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'camkit-inputs-'));
const touch = (rel: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), 'x');
};

beforeAll(() => {
  for (const f of ['data/b.png', 'data/a.JPG', 'data/notes.txt', 'data/.hidden.png', 'data/cats/a.png', 'data/cats/c.webp', 'data/.git/x.png', 'data/out/old.png', 'other/a.png', 'other/z.bmp']) touch(f);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('expandInputs', () => {
  it('a folder: its images sorted by name, no subfolders, no hidden files, no other extensions', async () => {
    const im = await expandInputs([join(root, 'data')]);
    expect(im.map((i) => i.key)).toEqual(['a.JPG', 'b.png']);
    expect(im.map((i) => i.index)).toEqual([0, 1]);
  });

  it('--recursive: keys are paths below the folder; the output folder and hidden folders are never read', async () => {
    const im = await expandInputs([join(root, 'data')], { recursive: true, exclude: join(root, 'data/out') });
    expect(im.map((i) => i.key)).toEqual(['a.JPG', 'b.png', 'cats/a.png', 'cats/c.webp']);
    // two images named a → stems a and a-2, in list order
    expect(im.map((i) => i.stem)).toEqual(['a', 'b', 'a-2', 'c']);
  });

  it('globs are keyed below their static base; files by their name; the same file twice counts once', async () => {
    const g = await expandInputs([join(root, 'other/*.{png,bmp}'), join(root, 'data/cats/**/*.png'), join(root, 'other/a.png')]);
    expect(g.map((i) => i.key)).toEqual(['a.png', 'z.bmp', 'a.png']);
    expect(g.map((i) => i.stem)).toEqual(['a', 'z', 'a-2']);
    expect(g).toHaveLength(3);
    const f = await expandInputs([join(root, 'other/z.bmp')]);
    expect(f[0].key).toBe('z.bmp');
  });

  it('missing inputs and empty matches are errors', async () => {
    await expect(expandInputs([join(root, 'nope.png')])).rejects.toThrow(/No such file/);
    await expect(expandInputs([join(root, 'other/*.gif')])).rejects.toThrow(/No images match/);
  });
});

describe('--shard', () => {
  it('parses I/N and rejects the rest with an OptionError', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(parseShard(undefined)).toBeNull();
    for (const bad of ['0/2', '3/2', '1', '1/0', 'a/b', '-1/2']) expect(() => parseShard(bad)).toThrow(OptionError);
  });

  it('is the documented rule: 1 + (first 4 bytes of SHA-256(key), big-endian) mod N', () => {
    // the digest computed here independently of src/cli/inputs.ts
    for (const key of ['cats/a.png', 'b.png', 'deep/er/x.jpg']) {
      const h = createHash('sha256').update(key).digest();
      const v = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
      for (const n of [1, 2, 3, 7]) expect(shardOf(key, n)).toBe(1 + (v % n));
    }
  });

  it('the shards partition the inputs, are about equal, and adding images moves no other image', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `img/${i}.png`);
    const images = keys.map((key, index) => ({ index, key, path: key, abs: `/${key}`, stem: String(index) }));
    const parts = [1, 2, 3, 4].map((i) => selectShard(images, { index: i, count: 4 }));
    expect(parts.reduce((a, p) => a + p.length, 0)).toBe(1000);
    expect(new Set(parts.flat().map((p) => p.key)).size).toBe(1000);
    for (const p of parts) expect(p.length).toBeGreaterThan(200);
    for (const [i, p] of parts.entries()) for (const im of p) expect(shardOf(im.key, 4)).toBe(i + 1);
    // new images sort in before the old ones (every position changes): the old ones stay in their shards
    const keys2 = [...Array.from({ length: 300 }, (_, i) => `a-new/${i}.png`), ...keys];
    const more = keys2.map((key, index) => ({ index, key, path: key, abs: `/${key}`, stem: String(index) }));
    const again = selectShard(more, { index: 2, count: 4 });
    expect(again.filter((p) => !p.key.startsWith('a-new/')).map((p) => p.key)).toEqual(parts[1].map((p) => p.key));
  });
});

describe('progress on stderr', () => {
  it('a terminal gets one line redrawn in place (bar, count, rate, ETA), throttled; a pipe gets one line per image × method', async () => {
    const { Progress } = await import('../../src/cli/progress.js');
    const tty: string[] = [];
    const p = new Progress(3, 6, { quiet: false, tty: true, write: (s) => tty.push(s) });
    p.start();
    const line = { stem: 'a', method: 'M', className: 'cat', score: 0.5, ms: 12 };
    p.image([line, line]);
    p.image([line, line]); // within 100 ms of the first: not redrawn
    p.image([line, line]); // the last one is always drawn
    p.end();
    expect(tty).toHaveLength(3);
    // eslint-disable-next-line no-control-regex -- the progress line starts with a terminal escape
    expect(tty[0]).toMatch(/^\r\x1b\[K[█░]{24} 1\/3 images · [\d.]+ images\/s · ETA \S+$/);
    expect(tty[1]).toMatch(/ 3\/3 images /);
    expect(tty[2]).toBe('\n');
    const pipe: string[] = [];
    const q = new Progress(2, 4, { quiet: false, tty: false, write: (s) => pipe.push(s) });
    q.image([line, { ...line, method: 'N' }]);
    expect(pipe).toEqual(['[1/4] a M → cat (0.500) 12 ms\n', '[2/4] a N → cat (0.500) 12 ms\n']);
    const quiet: string[] = [];
    new Progress(1, 1, { quiet: true, tty: true, write: (s) => quiet.push(s) }).image([line]);
    expect(quiet).toEqual([]);
  });
});
