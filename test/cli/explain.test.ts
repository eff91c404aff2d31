// `camkit explain`: the README's first command on the bundled samples, --json, and bad inputs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/camkit.js';
import { readImage } from '../../src/cli/io.js';
import { parseMapJson } from '../../src/render/mapfile.js';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import { tinyGraphModel } from '../helpers/tinygraph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli/camkit.ts');
const SAMPLES = join(ROOT, 'models/default/samples');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const work = mkdtempSync(join(tmpdir(), 'camkit-cli-'));

function camkit(args: string[], cwd = work) {
  const r = spawnSync(process.execPath, [TSX, CLI, ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs main() in this process, capturing stderr / stdout lines. */
async function inProcess(args: string[]) {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  try {
    const code = await main(args);
    return { code, stderr: err.join(''), stdout: out.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('camkit explain with no arguments', () => {
  let run: ReturnType<typeof camkit>;
  beforeAll(() => {
    run = camkit(['explain']);
  });

  it('exits 0 and writes overlay, map JSON, 16-bit map PNG per sample and index.html', () => {
    expect(run.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(run.code).toBe(0);
    const out = join(work, 'camkit-out');
    const files = readdirSync(out);
    const samples = readdirSync(SAMPLES).filter((f) => f.endsWith('.png'));
    expect(samples.length).toBeGreaterThanOrEqual(6);
    for (const s of samples) {
      const stem = s.replace(/\.png$/, '');
      for (const suffix of ['GradCAM.png', 'GradCAM.map.json', 'GradCAM.map.png']) expect(files).toContain(`${stem}.${suffix}`);
      const png = readFileSync(join(out, `${stem}.GradCAM.map.png`));
      expect(png[24]).toBe(16); // IHDR bit depth
      expect(png[25]).toBe(0); // grayscale
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html.match(/<img /g)!.length).toBe(samples.length * 2);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('the maps are hot where the shapes are: every map peaks inside a shape, and is hotter inside the boxes than outside', () => {
    const boxes = JSON.parse(readFileSync(join(SAMPLES, 'boxes.json'), 'utf8')).images as Record<string, Array<{ box: [number, number, number, number] }>>;
    for (const [name, objs] of Object.entries(boxes)) {
      const map = parseMapJson(readFileSync(join(work, 'camkit-out', name.replace(/\.png$/, '.GradCAM.map.json')), 'utf8'));
      const inBox = (x: number, y: number) => objs.some(({ box: [x0, y0, x1, y1] }) => x >= x0 - 1 && x < x1 + 1 && y >= y0 - 1 && y < y1 + 1);
      let sin = 0, nin = 0, sout = 0, nout = 0, best = 0;
      for (let p = 0; p < map.values.length; p++) {
        const x = p % map.width, y = Math.floor(p / map.width);
        if (inBox(x, y)) (sin += map.values[p]), nin++;
        else (sout += map.values[p]), nout++;
        if (map.values[p] > map.values[best]) best = p;
      }
      expect(inBox(best % map.width, Math.floor(best / map.width)), `${name} peak`).toBe(true);
      expect(sin / nin, `${name} inside vs outside`).toBeGreaterThan(3 * (sout / nout));
    }
  });
});

describe('camkit explain --json', () => {
  it('prints the results schema on stdout, one entry per image × method, files that exist', () => {
    const out = join(work, 'json-out');
    const r = camkit(['explain', join(SAMPLES, 'sample-1.png'), join(SAMPLES, 'sample-2.png'), '--method', 'gradcam,ScoreCAM', '--json', '--out', out, '--size', '96x80', '--colormap', 'viridis']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['results']);
    expect(j.results).toHaveLength(4);
    for (const e of j.results) {
      expect(Object.keys(e).sort()).toEqual(['class', 'files', 'height', 'image', 'method', 'ms', 'score', 'target', 'width'].sort());
      expect(['GradCAM', 'ScoreCAM']).toContain(e.method);
      expect([e.width, e.height]).toEqual([96, 80]);
      expect(['square', 'disc', 'hbar', 'ring', 'cross']).toContain(e.class);
      expect(Number.isInteger(e.target)).toBe(true);
      expect(typeof e.score).toBe('number');
      expect(e.ms).toBeGreaterThanOrEqual(0);
      for (const f of Object.values(e.files) as string[]) expect(existsSync(resolve(work, f))).toBe(true);
      const map = parseMapJson(readFileSync(resolve(work, e.files.map_json), 'utf8'));
      expect([map.width, map.height]).toEqual([96, 80]);
    }
  });
});

describe('camkit explain reads JPEG', () => {
  it('a baseline JPEG (encoded here from a sample) gives the same class as the PNG', async () => {
    const png = PNG.sync.read(readFileSync(join(SAMPLES, 'sample-3.png')));
    const jpg = join(work, 'sample-3.jpg');
    writeFileSync(jpg, jpeg.encode({ width: png.width, height: png.height, data: png.data }, 95).data);
    const out = join(work, 'jpeg-out');
    const a = await inProcess(['explain', jpg, '--json', '--out', out]);
    const b = await inProcess(['explain', join(SAMPLES, 'sample-3.png'), '--json', '--out', join(work, 'jpeg-out-2')]);
    expect(a.stderr).toMatch(/explained 1 images/); // --json keeps progress and the summary on stderr
    expect(a.code).toBe(0);
    const ra = JSON.parse(a.stdout).results[0], rb = JSON.parse(b.stdout).results[0];
    expect(ra.class).toBe(rb.class);
    expect(existsSync(join(out, 'sample-3.GradCAM.png'))).toBe(true);
  });

  // jpeg-js decodes progressive JPEG; this checks it on a progressive file that Debian's nodejs docs ship
  const PROGRESSIVE = '/usr/share/doc/nodejs/thin-white-stripe.jpg';
  it.skipIf(!existsSync(PROGRESSIVE))("a progressive JPEG decodes", async () => {
    const bytes = readFileSync(PROGRESSIVE);
    expect(bytes.includes(Buffer.from([0xff, 0xc2]))).toBe(true); // SOF2 = progressive
    const im = await readImage(PROGRESSIVE);
    expect([im.width, im.height]).toEqual([493, 58]);
    let sum = 0;
    for (let i = 0; i < im.data.length; i += 4) sum += im.data[i];
    expect(sum / (im.width * im.height)).toBeGreaterThan(50);
  });
});

describe('camkit explain --model with a GraphModel on disk', () => {
  it('loads model.json + shard through fs, explains a named node, writes the files', async () => {
    const dir = join(work, 'graph');
    mkdirSync(dir, { recursive: true });
    await tf.setBackend('cpu');
    const g = await tinyGraphModel();
    await g.save(
      tf.io.withSaveHandler(async (a) => {
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] }));
        writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(a.weightData as ArrayBuffer));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    g.dispose();
    const out = join(work, 'graph-out');
    const r = await inProcess(['explain', join(SAMPLES, 'sample-2.png'), '--model', join(dir, 'model.json'), '--layer', 'g/relu', '--backend', 'cpu', '--method', 'gradcam,eigencam', '--json', '--quiet', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout).results;
    expect(res).toHaveLength(2);
    for (const e of res) {
      expect(e.class).toBeNull(); // no classes.json
      expect(e.target).toBeGreaterThanOrEqual(0);
      expect(e.target).toBeLessThan(4);
      expect([e.width, e.height]).toEqual([64, 64]); // the image's size, not the model's 16×12
      expect(existsSync(resolve(work, e.files.map_png))).toBe(true);
    }
  });
});

describe('camkit explain: bad inputs → exit 1, one line on stderr, no partial files', () => {
  const out = join(work, 'bad-out');
  const corrupt = join(work, 'corrupt.png');
  beforeAll(() => {
    const good = readFileSync(join(SAMPLES, 'sample-1.png'));
    writeFileSync(corrupt, good.subarray(0, 200)); // a truncated PNG: valid signature, broken data
  });
  const check = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(lines[0]).not.toMatch(/\s+at\s/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).some((f) => f.includes('.tmp-'))).toBe(false);
  };

  it('a missing file (real process exit code)', () => {
    check(camkit(['explain', join(work, 'nope.png'), '--out', out]), /^camkit: No such file: .*nope\.png/);
  });
  it('a corrupt PNG', async () => {
    check(await inProcess(['explain', corrupt, '--out', out]), /^camkit: Cannot decode .*corrupt\.png/);
  });
  it('a non-image file', async () => {
    check(await inProcess(['explain', join(SAMPLES, 'boxes.json'), '--out', out]), /Unsupported image format/);
  });
  it('an unknown method, with a suggestion', async () => {
    check(await inProcess(['explain', '--method', 'GradCan', '--out', out]), /Unknown method 'GradCan'\. Did you mean 'GradCAM'/);
  });
  it('a bad --size', async () => {
    check(await inProcess(['explain', '--size', '64by64', '--out', out]), /--size must be WxH/);
    check(await inProcess(['explain', '--size', '0x10', '--out', out]), /--size must be WxH/);
  });
  it('an unknown option, class name, colormap or backend', async () => {
    check(await inProcess(['explain', '--colour', 'jet', '--out', out]), /Unknown option '--colour'/);
    check(await inProcess(['explain', '--target', 'triangle', '--out', out]), /Unknown class 'triangle'/);
    check(await inProcess(['explain', '--colormap', 'jett', '--out', out]), /Unknown colormap 'jett'.*'jet'/);
    check(await inProcess(['explain', '--backend', 'webgl', '--out', out]), /Unknown backend 'webgl'/);
  });
  it('bad values of the options for real models and datasets', async () => {
    check(await inProcess(['explain', '--layer', 'last_con', '--out', out]), /Unknown layer 'last_con'\. Did you mean 'last_conv'/);
    check(await inProcess(['explain', '--resize', 'fit', '--out', out]), /Unknown resize mode 'fit'.*stretch, crop, letterbox/);
    check(await inProcess(['explain', '--preprocess', 'imagenett', '--out', out]), /Unknown preprocess preset 'imagenett'.*'imagenet'/);
    check(await inProcess(['explain', '--preprocess', 'imagenet', '--input-scale', '0-1', '--out', out]), /older name of --preprocess/);
    check(await inProcess(['explain', '--input-scale', '0-2', '--out', out]), /Unknown input scale '0-2'/);
    check(await inProcess(['explain', '--mean', '1,2', '--out', out]), /--mean must be one number or three/);
    check(await inProcess(['explain', '--std', '0', '--out', out]), /std must be > 0/);
    check(await inProcess(['explain', '--shard', '3/2', '--out', out]), /--shard must be I\/N/);
    check(await inProcess(['explain', '--shard', '1', '--out', out]), /--shard must be I\/N/);
    check(await inProcess(['explain', '--workers', '0', '--out', out]), /--workers must be an integer ≥ 1/);
    check(await inProcess(['explain', join(work, 'no-such-dir/*.png'), '--out', out]), /No images match/);
    const nested = join(work, 'nested');
    mkdirSync(join(nested, 'sub'), { recursive: true });
    writeFileSync(join(nested, 'sub', 'a.png'), readFileSync(join(SAMPLES, 'sample-1.png')));
    check(await inProcess(['explain', nested, '--out', out]), /No images in .*nested \(add --recursive/);
  });
  it('a failure after some images were committed: exit 1, one line; the finished image is whole, the failed one left nothing', async () => {
    // the truncated PNG passes the header check and fails to decode after sample-1 was committed
    const r = await inProcess(['explain', join(SAMPLES, 'sample-1.png'), corrupt, '--out', out, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^camkit: Cannot decode .*corrupt\.png/)]);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['.camkit', 'sample-1.GradCAM.map.json', 'sample-1.GradCAM.map.png', 'sample-1.GradCAM.png', 'sample-1.input.png']);
    expect(readdirSync(join(out, '.camkit'))).toEqual(['sample-1.json']);
    // a re-run without the bad file keeps sample-1 and only writes the results
    const again = await inProcess(['explain', join(SAMPLES, 'sample-1.png'), '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/1 of 1 images already have their outputs/);
    rmSync(out, { recursive: true, force: true });
  });
});
