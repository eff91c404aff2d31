// `camkit explain` on a folder, at scale: --shard I/N + merge == one run, --workers 2 == --workers 1
// (same files, same bytes), skip / --force, results.json / results.csv, the paged index, and Ctrl-C
// (SIGINT to a real child process) leaving no partial file.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { runCli } from '../helpers/cli.js';
import { shardOf } from '../../src/cli/inputs.js';
import { makeShapeImage, toRGBA8 } from '../../src/cli/shapes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLES = join(ROOT, 'models/default/samples');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const CLI = join(ROOT, 'src/cli/camkit.ts');
const work = mkdtempSync(join(tmpdir(), 'camkit-batch-'));
const data = join(work, 'data');
const METHODS = 'gradcam,eigencam';
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = runCli;

function writeShape(file: string, seed: number) {
  const im = makeShapeImage(seed, { width: 64, height: 64 });
  const p = new PNG({ width: 64, height: 64 });
  p.data = Buffer.from(toRGBA8(im));
  writeFileSync(file, PNG.sync.write(p));
}

/** Every file below `dir` (relative, '/'), except the ledger and the run's results/gallery. */
function imageFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(png|json)$/.test(f) && !f.startsWith('results')).sort();
}
function sameBytes(a: string, b: string) {
  const fa = imageFiles(a), fb = imageFiles(b);
  expect(fb).toEqual(fa);
  for (const f of fa) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
}
const stripMs = (j: { results: Array<Record<string, unknown>> }) => j.results.map(({ ms, ...rest }) => (expect(typeof ms).toBe('number'), rest));

beforeAll(() => {
  mkdirSync(join(data, 'more'), { recursive: true });
  for (const f of readdirSync(SAMPLES).filter((f) => f.endsWith('.png'))) copyFileSync(join(SAMPLES, f), join(data, f));
  writeShape(join(data, 'more', 'shape-a.png'), 900_001);
  writeShape(join(data, 'more', 'sample-1.png'), 900_002); // same name as a top-level image: stem sample-1-2
});

describe('one run over a folder (--recursive)', () => {
  const one = join(work, 'one');
  let run: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    run = await cli(['explain', 'data', '--recursive', '--method', METHODS, '--out', 'one', '--json', '--page-size', '3'], work);
  });

  it('explains every image, names outputs <stem>.<method>.*, and prints --json with paths relative to the current folder', () => {
    expect(run.code).toBe(0);
    const files = imageFiles(one);
    for (const stem of ['sample-1', 'sample-6', 'shape-a', 'sample-1-2'])
      for (const m of ['GradCAM', 'EigenCAM']) for (const s of ['png', 'map.json', 'map.png']) expect(files).toContain(`${stem}.${m}.${s}`);
    const j = JSON.parse(run.stdout);
    expect(j.results).toHaveLength(16);
    // sorted by key (the path below data/): more/… first; the second sample-1 becomes sample-1-2
    expect(j.results.map((e: { image: string }) => e.image).filter((_: unknown, i: number) => i % 2 === 0)).toEqual(
      ['more/sample-1', 'more/shape-a', 'sample-1', 'sample-2', 'sample-3', 'sample-4', 'sample-5', 'sample-6'].map((k) => `data/${k}.png`),
    );
    expect(j.results[0].files.overlay).toBe('one/sample-1.GradCAM.png');
    expect(j.results[4].files.overlay).toBe('one/sample-1-2.GradCAM.png');
    // progress and the summary go to stderr, only JSON to stdout
    expect(run.stderr).toMatch(/^\[1\/16\] sample-1 GradCAM → /m);
    expect(run.stderr).toMatch(/explained 8 images × 2 methods in [\d.]+ s \([\d.]+ images\/s\)/);
  });

  it('results.json has the --json schema with paths relative to the output folder; results.csv the same rows', () => {
    const j = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8'));
    expect(Object.keys(j)).toEqual(['results']);
    expect(j.results).toHaveLength(16);
    expect(Object.keys(j.results[0]).sort()).toEqual(['class', 'files', 'height', 'image', 'method', 'ms', 'score', 'target', 'width']);
    expect(j.results[0].image).toBe('../data/more/sample-1.png');
    for (const e of j.results) for (const f of Object.values(e.files) as string[]) expect(existsSync(join(one, f)), f).toBe(true);
    const csv = readFileSync(join(one, 'results.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toBe('image,method,target,class,score,width,height,overlay,map_json,map_png,ms');
    expect(csv).toHaveLength(17);
    const row = csv[1].split(',');
    const e0 = j.results[0];
    expect(row).toEqual([e0.image, e0.method, String(e0.target), e0.class, String(e0.score), String(e0.width), String(e0.height), e0.files.overlay, e0.files.map_json, e0.files.map_png, String(e0.ms)]);
  });

  it('the index is paged (--page-size 3: three pages), each linking the others, images lazy-loaded', () => {
    const pages = readdirSync(one).filter((f) => /^index(-\d+)?\.html$/.test(f)).sort();
    expect(pages).toEqual(['index-2.html', 'index-3.html', 'index.html']);
    const p1 = readFileSync(join(one, 'index.html'), 'utf8');
    const p3 = readFileSync(join(one, 'index-3.html'), 'utf8');
    expect(p1.match(/<tr><th><img/g)).toHaveLength(3);
    expect(p3.match(/<tr><th><img/g)).toHaveLength(2);
    expect(p1).toMatch(/Page 1 of 3/);
    expect(p1).toContain('href="index-2.html"');
    expect(p3).toContain('href="index.html"');
    expect(p1).toContain('loading="lazy"');
    expect(p1).toMatch(/Images 1–3 of 8/);
  });

  it('a re-run skips every image (files untouched); --force redoes them; a new method only adds that method', async () => {
    const args = ['explain', join(data, 'sample-2.png'), join(data, 'sample-3.png'), '--out', 'skip'];
    expect((await cli([...args, '--method', METHODS, '--quiet'], work)).code).toBe(0);
    const f = join(work, 'skip', 'sample-2.GradCAM.png');
    const t0 = statSync(f).mtimeMs;
    const before = readFileSync(f);
    const again = await cli([...args, '--method', METHODS], work);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/2 of 2 images already have their outputs in skip: skipped/);
    expect(again.stderr).toMatch(/explained 0 images/);
    expect(statSync(f).mtimeMs).toBe(t0);
    const forced = await cli([...args, '--method', METHODS, '--force'], work);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/explained 2 images/);
    expect(statSync(f).mtimeMs).toBeGreaterThan(t0);
    expect(readFileSync(f).equals(before)).toBe(true);
    const more = await cli([...args, '--method', 'gradcam,eigencam,hirescam'], work);
    expect(more.stderr.match(/^\[\d+\/\d+\] .*/gm)).toEqual([expect.stringMatching(/^\[1\/2\] sample-2 HiResCAM/), expect.stringMatching(/^\[2\/2\] sample-3 HiResCAM/)]);
    const rec = JSON.parse(readFileSync(join(work, 'skip', '.camkit/sample-3.json'), 'utf8'));
    expect(rec.entries.map((e: { method: string }) => e.method)).toEqual(['GradCAM', 'EigenCAM', 'HiResCAM']);
    expect(JSON.parse(readFileSync(join(work, 'skip', 'results.json'), 'utf8')).results).toHaveLength(6);
    // changed settings (another colormap) redo the image
    const other = await cli([...args, '--method', 'gradcam', '--colormap', 'viridis'], work);
    expect(other.stderr).toMatch(/explained 2 images/);
    expect(readFileSync(f).equals(before)).toBe(false);
  });

  it('--shard 1/2 and --shard 2/2 into one folder, then camkit merge: the same files and bytes as one run', async () => {
    const shared = join(work, 'shards');
    const s1 = await cli(['explain', 'data', '--recursive', '--method', METHODS, '--out', 'shards', '--shard', '1/2', '--json'], work);
    const s2 = await cli(['explain', 'data', '--recursive', '--method', METHODS, '--out', 'shards', '--shard', '2/2', '--quiet'], work);
    expect(s1.code).toBe(0);
    expect(s2.code).toBe(0);
    expect(s1.stderr).toMatch(/shard 1\/2 of 8 images: run camkit merge shards/);
    // each shard took the images the rule gives it, and together all of them
    const keys = ['sample-1.png', 'sample-2.png', 'sample-3.png', 'sample-4.png', 'sample-5.png', 'sample-6.png', 'more/sample-1.png', 'more/shape-a.png'];
    const n1 = keys.filter((k) => shardOf(k, 2) === 1).length;
    expect(n1).toBeGreaterThan(0);
    expect(n1).toBeLessThan(8);
    expect(JSON.parse(s1.stdout).results).toHaveLength(2 * n1);
    expect(existsSync(join(shared, 'results.json'))).toBe(false);
    const m = await cli(['merge', 'shards'], work);
    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/merged 8 images from 1 folder into shards: 3 gallery pages|merged 8 images from 1 folder into shards: index\.html/);
    sameBytes(join(work, 'one'), shared);
    expect(stripMs(JSON.parse(readFileSync(join(shared, 'results.json'), 'utf8')))).toEqual(stripMs(JSON.parse(readFileSync(join(work, 'one', 'results.json'), 'utf8'))));
    const csv = (d: string) => readFileSync(join(d, 'results.csv'), 'utf8').split('\r\n').map((l) => l.replace(/,[^,]*$/, ''));
    expect(csv(shared)).toEqual(csv(join(work, 'one')));
  });

  it('shards in separate folders merge into a third one, with paths relative to it', async () => {
    await cli(['explain', 'data', '--recursive', '--method', METHODS, '--out', 'a', '--shard', '1/2', '--quiet'], work);
    await cli(['explain', 'data', '--recursive', '--method', METHODS, '--out', 'b', '--shard', '2/2', '--quiet'], work);
    const m = await cli(['merge', 'a', 'b', '--out', 'ab', '--quiet'], work);
    expect(m.code).toBe(0);
    const j = JSON.parse(readFileSync(join(work, 'ab', 'results.json'), 'utf8'));
    expect(j.results).toHaveLength(16);
    for (const e of j.results) {
      expect(e.files.overlay).toMatch(/^\.\.\/(a|b)\//);
      expect(existsSync(join(work, 'ab', e.files.overlay))).toBe(true);
    }
    expect(stripMs(j).map((e) => e.image)).toEqual(stripMs(JSON.parse(readFileSync(join(work, 'one', 'results.json'), 'utf8'))).map((e) => e.image));
    const bad = await cli(['merge', 'data'], work);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^camkit: data holds no camkit explain outputs/);
  });

  it('--workers 2 writes the same files, byte for byte, as --workers 1', async () => {
    const r = await cli(['explain', 'data', '--recursive', '--method', METHODS, '--out', 'w2', '--workers', '2', '--quiet', '--page-size', '3'], work);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    sameBytes(join(work, 'one'), join(work, 'w2'));
    expect(stripMs(JSON.parse(readFileSync(join(work, 'w2', 'results.json'), 'utf8')))).toEqual(stripMs(JSON.parse(readFileSync(join(work, 'one', 'results.json'), 'utf8'))));
  });

  it('a worker error stops the run with one line and exit 1', async () => {
    const bad = join(work, 'bad');
    mkdirSync(bad, { recursive: true });
    copyFileSync(join(SAMPLES, 'sample-1.png'), join(bad, 'a.png'));
    writeFileSync(join(bad, 'b.png'), readFileSync(join(SAMPLES, 'sample-1.png')).subarray(0, 200));
    const r = await cli(['explain', 'bad', '--out', 'bad-out', '--workers', '2', '--quiet'], work);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^camkit: Cannot decode .*b\.png/)]);
    // a.png may or may not have been committed before b.png failed; nothing partial either way
    const left = existsSync(join(work, 'bad-out')) ? readdirSync(join(work, 'bad-out')) : [];
    expect(left.filter((f) => f.includes('.tmp-') || f.startsWith('b.'))).toEqual([]);
  });
});

describe('Ctrl-C', () => {
  it('SIGINT to a running camkit explain --workers 2 (a real child process): exit 130, whole files only, a re-run finishes the rest', async () => {
    const many = join(work, 'many');
    mkdirSync(many, { recursive: true });
    for (let i = 0; i < 40; i++) copyFileSync(join(SAMPLES, `sample-${(i % 6) + 1}.png`), join(many, `img-${String(i).padStart(2, '0')}.png`));
    const out = join(work, 'sigint');
    const child = spawn(process.execPath, [TSX, CLI, 'explain', many, '--out', out, '--workers', '2', '--method', 'scorecam,gradcam'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    // 'close', not 'exit': the last stderr line may still be in the pipe when the process exits.
    const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no progress within 180 s: ${err}`)), 180_000);
      child.stderr.on('data', (d) => {
        err += String(d);
        // interrupt once a few images are committed, while the others are in flight
        if ((err.match(/^\[\d+\/\d+\] .* GradCAM/gm) ?? []).length >= 3) {
          clearTimeout(t);
          res();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(err).toMatch(/camkit: interrupted after \d+ of 40 images; their files are complete/);
    const all = readdirSync(out);
    expect(all.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(join(out, '.camkit')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const recs = readdirSync(join(out, '.camkit'));
    expect(recs.length).toBeGreaterThanOrEqual(3);
    expect(recs.length).toBeLessThan(40);
    // every committed image has all of its files, and no other image has any
    const stems = recs.map((f) => f.replace(/\.json$/, ''));
    const expected = stems.flatMap((s) => [`${s}.input.png`, ...['ScoreCAM', 'GradCAM'].flatMap((m) => [`${s}.${m}.png`, `${s}.${m}.map.json`, `${s}.${m}.map.png`])]).sort();
    expect(all.filter((f) => f !== '.camkit').sort()).toEqual(expected);
    for (const f of expected.filter((f) => f.endsWith('.png'))) expect(PNG.sync.read(readFileSync(join(out, f))).width).toBe(64);
    const rest = await cli(['explain', 'many', '--out', 'sigint', '--method', 'scorecam,gradcam', '--quiet', '--json'], work);
    expect(rest.code).toBe(0);
    expect(JSON.parse(rest.stdout).results).toHaveLength(80);
    expect(readdirSync(join(out, '.camkit'))).toHaveLength(40);
  });
});
