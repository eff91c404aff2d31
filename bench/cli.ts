// `npm run bench:cli`: throughput of the built CLI (`node dist/cli.js explain`) on MobileNetV2 (nsfwjs'
// LayersModel, 224×224×3, Grad-CAM at its automatic layer) over a folder of images, with --workers 1
// and --workers 2. Each configuration runs --runs times (default 3) into a fresh folder; the table has
// the median. Two rates per run:
//   steady   images/s the CLI reports: from the moment every thread has loaded its model and run one
//            warm-up explain to the last image committed (start-up excluded: paid once per run)
//   wall     images / the whole process time (start-up, model loading, results and gallery included)
// Not part of `npm run bench`. Usage: npm run build && npm run bench:cli [-- --n 48 --runs 3 --out FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { makeShapeImage, toRGBA8 } from '../src/cli/shapes.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli.js');

function arg(name: string, dflt: number): number;
function arg(name: string, dflt: string): string;
function arg(name: string, dflt: number | string): number | string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  return typeof dflt === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

/** nsfwjs ships model.min.js (the model.json object) + base64 shard modules: write a plain model.json + weights.bin. */
export function writeNsfwModel(dir: string, name = 'mobilenet_v2'): string {
  const require = createRequire(import.meta.url);
  const src = join(ROOT, 'node_modules/nsfwjs/dist/models', name);
  const json = require(join(src, 'model.min.js')) as { modelTopology: object; format?: string; weightsManifest: { paths: string[]; weights: object[] }[] };
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => Buffer.from(require(join(src, `${p}.min.js`)) as string, 'base64')));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: json.format, modelTopology: json.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }] }));
  writeFileSync(join(dir, 'weights.bin'), bin);
  return dir;
}

function writeImages(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const im = makeShapeImage(500_000 + i, { width: 224, height: 224, minSize: 40, maxSize: 90 });
    const p = new PNG({ width: 224, height: 224 });
    p.data = toRGBA8(im);
    writeFileSync(join(dir, `img-${String(i).padStart(3, '0')}.png`), PNG.sync.write(p));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build first.');
  const n = arg('n', 32);
  const runs = arg('runs', 3);
  const method = arg('method', 'gradcam');
  const work = mkdtempSync(join(tmpdir(), 'camkit-bench-cli-'));
  try {
    const model = writeNsfwModel(join(work, 'mobilenet_v2'));
    writeImages(join(work, 'images'), n);
    const rows: Array<{ workers: number; steady: number[]; wall: number[]; load: number[] }> = [];
    for (const workers of [1, 2]) rows.push({ workers, steady: [], wall: [], load: [] });
    // alternate the configurations so that a change in machine load hits both alike
    for (let r = 0; r < runs; r++) {
      for (const row of rows) {
        const out = join(work, `out-${row.workers}-${r}`);
        row.load.push(loadavg()[0]);
        const t0 = performance.now();
        const p = spawnSync(process.execPath, [CLI, 'explain', join(work, 'images'), '--model', model, '--method', method, '--workers', String(row.workers), '--out', out], { encoding: 'utf8' });
        const wall = (performance.now() - t0) / 1000;
        if (p.status !== 0) throw new Error(`camkit failed: ${p.stderr}`);
        const m = /explained (\d+) images .* in ([\d.]+) s \(([\d.]+) images\/s\)/.exec(p.stderr);
        if (!m || Number(m[1]) !== n) throw new Error(`no summary line in: ${p.stderr.slice(-500)}`);
        row.steady.push(Number(m[3]));
        row.wall.push(n / wall);
        process.stderr.write(`run ${r + 1}/${runs} --workers ${row.workers}: ${m[3]} images/s steady, ${(n / wall).toFixed(2)} images/s wall (${wall.toFixed(1)} s), load ${row.load.at(-1)!.toFixed(2)}\n`);
        rmSync(out, { recursive: true, force: true });
      }
    }
    const [w1, w2] = rows;
    const table = [
      `camkit explain, MobileNetV2 (nsfwjs, 224×224), ${method}, ${n} images, wasm backend, median of ${runs} runs; ${cpus().length} cores`,
      '| --workers | images/s (steady) | images/s (wall, whole process) | load average at start |',
      '|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.workers} | ${median(r.steady).toFixed(2)} | ${median(r.wall).toFixed(2)} | ${r.load.map((l) => l.toFixed(1)).join(', ')} |`),
      `ratio 2 / 1: ${(median(w2.steady) / median(w1.steady)).toFixed(2)}× steady, ${(median(w2.wall) / median(w1.wall)).toFixed(2)}× wall`,
    ].join('\n');
    process.stdout.write(table + '\n');
    const outFile = arg('out', '');
    if (outFile) {
      const git = (() => {
        try {
          return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
        } catch {
          return null;
        }
      })();
      writeFileSync(outFile, JSON.stringify({ commit: git, n, runs, method, cores: cpus().length, rows, ratio: { steady: median(w2.steady) / median(w1.steady), wall: median(w2.wall) / median(w1.wall) }, table }, null, 1) + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
