// The `camkit` command line (Node only).
//   camkit explain [IMAGE…] [options]   overlays, map files and index.html (default: the bundled samples)
//   camkit eval [options]               metrics of every method on a synthetic benchmark set
// Errors: one line on stderr, exit 1, nothing left behind in --out.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { CamkitError, NameError } from '../errors.js';
import { explain } from '../capture/index.js';
import { renderOverlay } from '../render/overlay.js';
import { COLORMAPS, type ColormapName } from '../render/colormaps.js';
import { encodeMapPng, mapToJson } from '../render/mapfile.js';
import { encodePng } from '../render/png.js';
import type { CamMap, RGBAImage } from '../render/types.js';
import { int, parseArgs, size, str, UsageError, type Parsed } from './args.js';
import { galleryHtml, type GalleryItem } from './gallery.js';
import { defaultModelDir, INPUT_SCALES, readImage, resizeRGBA, toModelInput, type InputScale, type LoadedModel } from './io.js';
import { resizeMapsSync } from '../core/post.js';
import { getRuntime } from '../runtime/init.js';
import { runEval } from './eval.js';
import { loadModelArg, methodHelp, parseMethods, progress, runnable, setBackend } from './options.js';

export { parseMethods } from './options.js';

function inputScale(p: Parsed, loaded: LoadedModel): InputScale {
  const v = str(p, 'input-scale') ?? loaded.inputScale ?? '0-1';
  if (!INPUT_SCALES.includes(v as InputScale)) throw new NameError('input scale', v, INPUT_SCALES);
  return v as InputScale;
}

function parseTarget(v: string | undefined, classes: string[] | null): 'top1' | number {
  if (v === undefined || v.toLowerCase() === 'top1') return 'top1';
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (classes && n >= classes.length) throw new CamkitError('E_TARGET', `--target ${n} is out of range: the model has ${classes.length} classes (0–${classes.length - 1}).`);
    return n;
  }
  if (!classes) throw new UsageError(`--target '${v}' is a class name, but the model has no classes.json; use top1 or a class index.`);
  const i = classes.findIndex((c) => c.toLowerCase() === v.toLowerCase());
  if (i < 0) throw new NameError('class', v, classes);
  return i;
}

function colormapArg(v: string | undefined): ColormapName {
  const c = v ?? 'jet';
  if (!(COLORMAPS as readonly string[]).includes(c)) throw new NameError('colormap', c, COLORMAPS);
  return c as ColormapName;
}

const EXPLAIN_OPTS = ['model', 'layer', 'method', 'target', 'backend', 'size', 'colormap', 'out', 'input-scale', 'batch'];
const EVAL_OPTS = ['model', 'layer', 'method', 'backend', 'n', 'seed', 'batch', 'out', 'steps', 'scores'];

async function cmdExplain(argv: string[]): Promise<void> {
  const p = parseArgs(argv, EXPLAIN_OPTS, ['json', 'help', 'quiet']);
  if (p.options.has('help')) return void process.stdout.write(USAGE);
  // everything that can be checked is checked before any file is written
  const asked = str(p, 'method');
  const all = asked?.trim().toLowerCase() === 'all';
  const { run: methods, skipped } = runnable(parseMethods(asked));
  // A method asked for by name must run; 'all' skips what this model cannot give, with the reason.
  if (!all && skipped.length) throw new UsageError(`${skipped[0].method} cannot run here: ${skipped[0].reason}.`);
  const outSize = size(str(p, 'size'));
  const colormap = colormapArg(str(p, 'colormap'));
  const batch = str(p, 'batch') === undefined ? undefined : int(p, 'batch', 1);
  const json = p.options.has('json');
  const quiet = p.options.has('quiet') || json;
  const out = resolve(str(p, 'out') ?? 'camkit-out');
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory.`);
  const backend = await setBackend(str(p, 'backend'));
  const { loaded, name: modelName } = await loadModelArg(p);
  for (const s of skipped) process.stderr.write(`camkit: skipped ${s.method}: ${s.reason}\n`);
  const target = parseTarget(str(p, 'target'), loaded.classes);
  const scale = inputScale(p, loaded);

  let paths = p.positionals;
  if (paths.length === 0) {
    if (str(p, 'model')) throw new UsageError('Give one or more images to explain with --model (the bundled samples belong to the default model).');
    const dir = join(defaultModelDir(), 'samples');
    paths = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => join(dir, f));
  }
  const images = paths.map((f) => ({ path: f, rgba: readImage(f) }));
  const [mh, mw] = loaded.inputSize ?? [images[0].rgba.height, images[0].rgba.width];
  if (!loaded.inputSize && images.some((im) => im.rgba.width !== mw || im.rgba.height !== mh)) {
    throw new UsageError('The model accepts any input size; give images of one size, or a model with a fixed input.');
  }
  const layer = str(p, 'layer') ?? loaded.targetLayer;

  // unique output stems: NAME, NAME-2, …
  const stems = new Map<string, number>();
  const stem = (f: string) => {
    const b = basename(f, extname(f)).replace(/[^\w.-]+/g, '_') || 'image';
    const k = (stems.get(b) ?? 0) + 1;
    stems.set(b, k);
    return k === 1 ? b : `${b}-${k}`;
  };
  const items = images.map((im) => ({ ...im, stem: stem(im.path), outW: outSize?.[0] ?? im.rgba.width, outH: outSize?.[1] ?? im.rgba.height }));

  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(out)}.tmp-`));
  const results: Array<Record<string, unknown>> = [];
  const gallery: GalleryItem[] = items.map((it) => ({ image: it.path, input: `${it.stem}.input.png`, cells: [] }));
  try {
    // the model input batch (every image resized to the model size)
    const x = new Float32Array(items.length * mh * mw * 3);
    items.forEach((it, i) => toModelInput(resizeRGBA(it.rgba, mw, mh), scale, x, i * mh * mw * 3));
    const display = items.map((it) => resizeRGBA(it.rgba, it.outW, it.outH));
    for (let i = 0; i < items.length; i++) writeFileSync(join(tmp, gallery[i].input), await encodePng({ width: display[i].width, height: display[i].height, color: 'rgba', bitDepth: 8, data: display[i].data as Uint8Array }));
    const input = tf.tensor4d(x, [items.length, mh, mw, 3]);
    try {
      let done = 0;
      for (const method of methods) {
        const t0 = performance.now();
        const r = await explain(loaded.model, input, { method, layer, target, batchSize: batch, onProgress: quiet ? undefined : progress(method) });
        const ms = (performance.now() - t0) / items.length;
        for (let i = 0; i < items.length; i++) {
          const it = items[i];
          const lowres = r.map.subarray(i * r.width * r.height, (i + 1) * r.width * r.height);
          // explain's maps are at the model input size; one more half-pixel resize to the output size
          const values = resizeMapsSync(await getRuntime(), lowres, 1, r.height, r.width, it.outH, it.outW);
          for (let k = 0; k < values.length; k++) values[k] = Math.min(1, Math.max(0, values[k]));
          const map: CamMap = { width: it.outW, height: it.outH, values };
          const ov = await renderOverlay(map, display[i] as RGBAImage, { colormap });
          const files = { overlay: `${it.stem}.${method}.png`, map_json: `${it.stem}.${method}.map.json`, map_png: `${it.stem}.${method}.map.png` };
          writeFileSync(join(tmp, files.overlay), await encodePng({ width: ov.width, height: ov.height, color: 'rgba', bitDepth: 8, data: new Uint8Array(ov.data.buffer, ov.data.byteOffset, ov.data.length) }));
          writeFileSync(join(tmp, files.map_json), JSON.stringify(mapToJson(map)));
          writeFileSync(join(tmp, files.map_png), await encodePng16(map));
          const cls = r.classIndex[i];
          const className = loaded.classes?.[cls] ?? String(cls);
          gallery[i].cells.push({ method, overlay: files.overlay, mapJson: files.map_json, mapPng: files.map_png, className, target: cls, score: r.score[i], ms });
          const rel = (f: string) => relative(process.cwd(), join(out, f)) || f;
          results.push({ image: it.path, method, target: cls, class: loaded.classes?.[cls] ?? null, score: r.score[i], width: it.outW, height: it.outH, files: { overlay: rel(files.overlay), map_json: rel(files.map_json), map_png: rel(files.map_png) }, ms: Math.round(ms * 10) / 10 });
          if (!quiet) process.stderr.write(`[${++done}/${items.length * methods.length}] ${it.stem} ${method} → ${className} (${r.score[i].toFixed(3)}) ${ms.toFixed(0)} ms\n`);
        }
      }
    } finally {
      input.dispose();
    }
    writeFileSync(join(tmp, 'index.html'), galleryHtml(gallery, { model: modelName, backend, colormap }));
    // all files exist: move them into --out
    mkdirSync(out, { recursive: true });
    for (const f of readdirSync(tmp)) {
      try {
        renameSync(join(tmp, f), join(out, f));
      } catch {
        copyFileSync(join(tmp, f), join(out, f));
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (json) process.stdout.write(JSON.stringify({ results }) + '\n');
  else if (!quiet) process.stderr.write(`wrote ${results.length} overlays and index.html to ${relative(process.cwd(), out) || '.'}\n`);
}

function encodePng16(map: CamMap): Promise<Uint8Array> {
  return encodeMapPng(map, { bitDepth: 16 });
}

async function cmdEval(argv: string[]): Promise<void> {
  const p = parseArgs(argv, EVAL_OPTS, ['json', 'help', 'quiet', 'road']);
  if (p.options.has('help')) return void process.stdout.write(USAGE);
  await runEval(p);
}

export const USAGE = `camkit — class activation maps for TensorFlow.js models

Usage:
  camkit explain [IMAGE…] [options]   explain images (PNG/JPEG); no images: the bundled samples
  camkit eval [options]               metrics of every method on a synthetic benchmark set

explain options:
  --model PATH          model.json (LayersModel or GraphModel) or its directory; default: the bundled shapes model
  --layer NAME          layer to explain (default: classes.json targetLayer, else the last 4-D feature map)
  --method NAME|all     comma-separated names or aliases, or all (every method the model supports; the others are listed as skipped):
                        ${methodHelp()}
  --target T            top1 (default), a class index or a class name (needs classes.json)
  --backend wasm|cpu    default wasm
  --size WxH            size of the overlays and maps (default: each image's own size)
  --colormap NAME       ${COLORMAPS.join(', ')} (default jet)
  --input-scale S       0-1 (default), 0-255 or -1-1: the pixel range the model expects
  --batch N             images per model call
  --out DIR             default ./camkit-out
  --json                print {"results":[…]} on stdout
  --quiet               no progress on stderr

eval options:
  --n N (default 200)  --seed S  --method LIST|all  --backend wasm|cpu  --batch N  --steps N (deletion/insertion, default 20)
  --scores logits|softmax|sigmoid (default: classes.json activation, else softmax)  --road (adds ROAD on the first 20 images)
  --out FILE.md (also write the table)  --json
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'explain' || cmd === undefined) await cmdExplain(rest);
    else if (cmd === 'eval') await cmdEval(rest);
    else if (cmd === '--help' || cmd === '-h' || cmd === 'help') process.stdout.write(USAGE);
    else throw new NameError('command', cmd, ['explain', 'eval', 'help']);
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`camkit: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}

const isMain = (() => {
  try {
    const argv1 = process.argv[1] ? resolve(process.argv[1]) : '';
    const self = new URL(import.meta.url).pathname;
    return argv1 === self || /camkit(\.ts|\.js|\.mjs)?$|cli\.(js|mjs)$/.test(argv1);
  } catch {
    return false;
  }
})();
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`camkit: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
