// `camkit eval` / `npm run eval`: every method on a deterministic synthetic benchmark set (shapes with
// boxes, generated at run time from a seed), or on the user's own images and labels (--images DIR
// --labels FILE) → pointing game, energy pointing, Average Drop, Increase in Confidence, deletion /
// insertion AUC and time per image, as a markdown table.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { InputError, NameError } from '../errors.js';
import { explain } from '../capture/index.js';
import { createAdapter } from '../capture/adapter.js';
import { toModelInput, type Preprocess } from '../core/preprocess.js';
import { arcc, confidenceChange, deletionInsertion, energyPointingGame, pointingGame, road, type Box, type ScoreMode } from '../metrics/index.js';
import { int, str, UsageError, type Parsed } from './args.js';
import { checkImageFile, readImage } from './decode.js';
import { checkLayer, preprocessArg } from './explain-cmd.js';
import { boxToModel, fitImage, fitToModel, resizeMode, type ResizeMode } from './geometry.js';
import type { LoadedModel } from './io.js';
import { readManifest, type ManifestItem } from './manifest.js';
import { loadModelArg, parseMethods, progress, runnable, setBackend } from './options.js';
import { METHOD_NAMES, methodDescriptor } from '../methods/registry.js';
import type { ExplainOptions } from '../capture/explain.js';
import { makeShapeSet } from './shapes.js';

export const EVAL_OPTS = ['model', 'layer', 'method', 'backend', 'n', 'seed', 'batch', 'out', 'steps', 'scores', 'images', 'labels', 'preprocess', 'input-scale', 'mean', 'std', 'resize'];
export const EVAL_FLAGS = ['json', 'help', 'quiet', 'road', 'arcc', 'full-samples'];

/** ROAD and ARCC run on the first images only (each image costs 2·percentiles imputations). */
export const EVAL_ROAD_IMAGES = 20;

/**
 * The sample counts eval gives the slow sampling methods (unless --full-samples): a full run with
 * their own defaults took 51 minutes, most of it RISE, IntegratedGradients and SS-CAM. The table's
 * note lists what was reduced. Derived from each method's plan, so it covers every such method.
 */
export function evalSampling(method: string): { opts: Partial<ExplainOptions>; note: string } | null {
  const d = methodDescriptor(method);
  const p = d.explain;
  const cut = (key: 'numSamples' | 'steps', to: number, from: number, what: string) =>
    from > to ? { opts: { [key]: to } as Partial<ExplainOptions>, note: `${d.name} ${to} ${what} (default ${from})` } : null;
  if (p.via === 'input-attribution' && p.sampling === 'noise') return cut('numSamples', 8, p.samples, 'noisy samples');
  if (p.via === 'input-attribution' && p.sampling === 'path') return cut('steps', 16, p.samples, 'steps');
  if (p.via === 'input-masks' && p.masks === 'random') return cut('numSamples', 250, p.samples, 'masks');
  if (p.via === 'masks' && p.samples !== undefined) return cut('numSamples', 5, p.samples, 'samples');
  return null;
}

/** The options eval passes for a method, and the note about them (null when the method's defaults are used). */
function methodOpts(p: Parsed, method: string): { opts: Partial<ExplainOptions>; note: string | null } {
  const s = p.options.has('full-samples') ? null : evalSampling(method);
  return { opts: s?.opts ?? {}, note: s?.note ?? null };
}

/** Seed of the benchmark set: disjoint from the training stream and the samples. */
export const EVAL_SEED = 700_000_000;

export interface EvalRow {
  method: string;
  /** Zhang et al.'s pointing game (15 px at 224², scaled to the image) and its strict variant (0 px). */
  pointing: number;
  pointingStrict: number;
  energy: number;
  averageDrop: number;
  increase: number;
  deletion: number;
  insertion: number;
  msPerImage: number;
  road?: { morf: number; lerf: number; combined: number };
  arcc?: { arcc: number; complexity: number; coherency: number; road: number };
}

export async function runEval(p: Parsed): Promise<EvalRow[]> {
  if (str(p, 'labels') !== undefined || str(p, 'images') !== undefined) return runEvalData(p);
  for (const o of ['preprocess', 'input-scale', 'mean', 'std', 'resize']) {
    if (str(p, o) !== undefined) throw new UsageError(`--${o} applies to your own images (--images DIR --labels FILE); the synthetic set is already model input.`);
  }
  const n = int(p, 'n', 200);
  const seed = int(p, 'seed', EVAL_SEED, 0);
  const steps = int(p, 'steps', 20);
  const batch = int(p, 'batch', 32);
  // Every method that gives a heatmap on this model (default and 'all'); asked-for ones must run.
  const asked = str(p, 'method');
  const { run: methods, skipped } = runnable(parseMethods(asked, METHOD_NAMES));
  if (asked !== undefined && asked.trim().toLowerCase() !== 'all' && skipped.length) throw new UsageError(`${skipped[0].method} cannot run here: ${skipped[0].reason}.`);
  const quiet = p.options.has('quiet');
  const backend = await setBackend(str(p, 'backend'));
  const { loaded, name } = await loadModelArg(p);
  const sc = str(p, 'scores') ?? loaded.activation ?? 'softmax';
  if (!['logits', 'softmax', 'sigmoid'].includes(sc)) throw new NameError('score mode', sc, ['logits', 'softmax', 'sigmoid']);
  const scores = sc as ScoreMode;
  if (!loaded.inputSize) throw new InputError('E_SHAPE', 'camkit eval needs a model with a fixed input size.');
  const [H, W] = loaded.inputSize;
  const layer = str(p, 'layer') ?? loaded.targetLayer;

  const set = makeShapeSet(n, seed, { width: W, height: H });
  // one (image, class) pair per image: the class of its first shape; boxes = every shape of that class
  const targets = set.map((im) => im.objects[0].classIndex);
  const boxes: Box[][] = set.map((im, i) => im.objects.filter((o) => o.classIndex === targets[i]).map((o) => o.box));
  const x = new Float32Array(n * H * W * 3);
  set.forEach((im, i) => x.set(im.pixels, i * H * W * 3));
  const images = tf.tensor4d(x, [n, H, W, 3]);
  const rows: EvalRow[] = [];
  const notes: string[] = [];
  const t0 = performance.now();
  try {
    for (const method of methods) {
      const t1 = performance.now();
      const mo = methodOpts(p, method);
      if (mo.note) notes.push(mo.note);
      const r = await explain(loaded.model, images, { method, layer, target: targets, batchSize: batch, onProgress: quiet ? undefined : progress(method), ...mo.opts });
      const ms = (performance.now() - t1) / n;
      const pg = await pointingGame(r, boxes);
      const strict = await pointingGame(r, boxes, { tolerance: 0 });
      const en = await energyPointingGame(r, boxes);
      const cc = await confidenceChange(loaded.model, images, r, { targets, scores, batchSize: batch });
      const di = await deletionInsertion(loaded.model, images, r, { targets, scores, steps, batchSize: batch });
      const row: EvalRow = { method, pointing: pg.accuracy, pointingStrict: strict.accuracy, energy: en.energy, averageDrop: cc.averageDrop, increase: cc.increaseInConfidence, deletion: di.deletion, insertion: di.insertion, msPerImage: ms };
      if (p.options.has('arcc')) {
        const k = Math.min(EVAL_ROAD_IMAGES, n);
        const sub = images.slice([0, 0, 0, 0], [k, -1, -1, -1]);
        try {
          const maps = { map: r.map.subarray(0, k * r.width * r.height), n: k, width: r.width, height: r.height };
          const a = await arcc(loaded.model, sub, maps, {
            targets: targets.slice(0, k), scores, batchSize: batch,
            explain: (xm) => explain(loaded.model, xm, { method, layer, target: targets.slice(0, k), batchSize: batch, ...mo.opts }),
          });
          row.arcc = { arcc: a.arcc, complexity: a.complexity, coherency: a.coherency, road: a.road };
        } finally {
          sub.dispose();
        }
      }
      if (p.options.has('road')) {
        const k = Math.min(EVAL_ROAD_IMAGES, n);
        const sub = images.slice([0, 0, 0, 0], [k, -1, -1, -1]);
        try {
          const rr = await road(loaded.model, sub, { map: r.map.subarray(0, k * r.width * r.height), n: k, width: r.width, height: r.height }, { targets: targets.slice(0, k), scores, batchSize: batch });
          row.road = { morf: rr.morf, lerf: rr.lerf, combined: rr.combined };
        } finally {
          sub.dispose();
        }
      }
      rows.push(row);
      if (!quiet) process.stderr.write(`${method}: pointing ${row.pointing.toFixed(3)}, AD ${row.averageDrop.toFixed(3)}, ${ms.toFixed(1)} ms/image (${((performance.now() - t1) / 1000).toFixed(0)} s with metrics)\n`);
    }
  } finally {
    images.dispose();
  }
  const total = (performance.now() - t0) / 1000;
  const md = table(rows, { model: name, n, seed, backend, scores: sc, steps, total, notes });
  if (p.options.has('json')) process.stdout.write(JSON.stringify({ model: name, n, seed, backend, scores: sc, steps, seconds: total, sampling: notes, rows }) + '\n');
  else process.stdout.write(md);
  const out = str(p, 'out');
  if (out) writeFileSync(out, md);
  return rows;
}

export function table(rows: readonly EvalRow[], info: { model: string; n: number; seed: number; backend: string; scores: string; steps: number; total: number; data?: string; boxed?: number; notes?: readonly string[] }): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');
  const road = rows.some((r) => r.road);
  const ar = rows.some((r) => r.arcc);
  const head = `| Method | Pointing game (↑) | Pointing, strict (↑) | Energy pointing (↑) | Average drop (↓) | Increase in confidence (↑) | Deletion AUC (↓) | Insertion AUC (↑) | ms / image |${road ? ' ROAD MoRF (↓) | ROAD LeRF (↑) | ROAD combined (↑) |' : ''}${ar ? ' ARCC (↑) | Complexity (↓) | Coherency (↑) |' : ''}`;
  const sep = `|---|---:|---:|---:|---:|---:|---:|---:|---:|${road ? '---:|---:|---:|' : ''}${ar ? '---:|---:|---:|' : ''}`;
  const body = rows
    .map((r) => `| ${r.method} | ${f(r.pointing)} | ${f(r.pointingStrict)} | ${f(r.energy)} | ${f(r.averageDrop)} | ${f(r.increase)} | ${f(r.deletion)} | ${f(r.insertion)} | ${r.msPerImage.toFixed(1)} |${road ? (r.road ? ` ${f(r.road.morf)} | ${f(r.road.lerf)} | ${f(r.road.combined)} |` : ' | | |') : ''}${ar ? (r.arcc ? ` ${f(r.arcc.arcc)} | ${f(r.arcc.complexity)} | ${f(r.arcc.coherency)} |` : ' | | |') : ''}`)
    .join('\n');
  const what = info.data !== undefined ? `${info.n} images from ${info.data} (${info.boxed ?? 0} with boxes; the pointing columns use those)` : `${info.n} synthetic images (seed ${info.seed})`;
  return `${head}\n${sep}\n${body}\n\n${what}, model: ${info.model}, backend ${info.backend}, scores: ${info.scores}, deletion/insertion ≤ ${info.steps} steps; pointing game with Zhang et al.'s tolerance (15 px at 224², scaled to the image), strict = the arg max inside a box; ms / image = the explain call alone; total ${info.total.toFixed(0)} s including metrics.${ar ? ` ARCC (pytorch-grad-cam: coherency, 1 − complexity and ROAD combined at percentiles 20/40/60/80) on the first ${EVAL_ROAD_IMAGES} images.` : ''}${info.notes?.length ? ` Fewer samples than the methods' defaults, to keep eval short (--full-samples for the defaults): ${info.notes.join('; ')}.` : ''}\n`;
}

interface Acc {
  hits: number[];
  strict: number[];
  energy: number[];
  drop: number[];
  increase: number[];
  deletion: number[];
  insertion: number[];
  ms: number;
  road: { morf: number; lerf: number; combined: number; n: number };
  arcc: { arcc: number; complexity: number; coherency: number; road: number; n: number };
}

const meanOf = (a: readonly number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);

/** Decodes, fits and preprocesses a chunk of manifest images; boxes follow the same fit. */
async function loadChunk(items: readonly ManifestItem[], loaded: LoadedModel, H: number, W: number, pre: Preprocess, mode: ResizeMode) {
  const C = loaded.channels;
  const x = new Float32Array(items.length * H * W * C);
  const boxes: Box[][] = [];
  for (let i = 0; i < items.length; i++) {
    const img = await readImage(items[i].image);
    const fit = fitImage(mode, img.width, img.height, W, H);
    toModelInput(fitToModel(img, fit).data, W, H, C, pre, x.subarray(i * H * W * C, (i + 1) * H * W * C));
    boxes.push(items[i].boxes.map((b) => boxToModel(b, fit)).filter((b): b is Box => b !== null));
  }
  return { x: tf.tensor4d(x, [items.length, H, W, C]), boxes };
}

/** `camkit eval --images DIR --labels FILE`: the same table on the user's images, in chunks of --batch. */
async function runEvalData(p: Parsed): Promise<EvalRow[]> {
  const labels = str(p, 'labels');
  if (labels === undefined) throw new UsageError('camkit eval --images DIR needs --labels FILE (JSON lines or CSV: image, label, optional boxes).');
  for (const o of ['n', 'seed']) if (str(p, o) !== undefined) throw new UsageError(`--${o} is for the synthetic set; with --labels every listed image is used.`);
  const steps = int(p, 'steps', 20);
  const batch = int(p, 'batch', 32);
  const asked = str(p, 'method');
  const { run: methods, skipped } = runnable(parseMethods(asked, METHOD_NAMES));
  if (asked !== undefined && asked.trim().toLowerCase() !== 'all' && skipped.length) throw new UsageError(`${skipped[0].method} cannot run here: ${skipped[0].reason}.`);
  const quiet = p.options.has('quiet');
  const resize = resizeMode(str(p, 'resize'));
  const backend = await setBackend(str(p, 'backend'));
  const { loaded, name } = await loadModelArg(p);
  try {
    const sc = str(p, 'scores') ?? loaded.activation ?? 'softmax';
    if (!['logits', 'softmax', 'sigmoid'].includes(sc)) throw new NameError('score mode', sc, ['logits', 'softmax', 'sigmoid']);
    const scores = sc as ScoreMode;
    if (!loaded.inputSize) throw new InputError('E_SHAPE', 'camkit eval needs a model with a fixed input size.');
    const [H, W] = loaded.inputSize;
    const pre = preprocessArg(p, loaded); // checked before any image is read
    const layer = str(p, 'layer') ?? loaded.targetLayer;
    checkLayer(loaded, layer ?? null);
    const items = readManifest(labels, str(p, 'images'), loaded.classes);
    for (const it of items) checkImageFile(it.image);
    const n = items.length;
    const acc = new Map<string, Acc>(methods.map((m) => [m, { hits: [], strict: [], energy: [], drop: [], increase: [], deletion: [], insertion: [], ms: 0, road: { morf: 0, lerf: 0, combined: 0, n: 0 }, arcc: { arcc: 0, complexity: 0, coherency: 0, road: 0, n: 0 } }]));
    const notes = methods.map((m) => methodOpts(p, m).note).filter((x): x is string => x !== null);
    const adapter = createAdapter(loaded.model);
    const t0 = performance.now();
    let boxed = 0;
    for (let s = 0; s < n; s += batch) {
      const chunk = items.slice(s, s + batch);
      const { x, boxes } = await loadChunk(chunk, loaded, H, W, pre, resize);
      try {
        // unlabelled images: the model's top-1 class
        const out = adapter.predict(x);
        const logits = (await out.data()) as Float32Array;
        out.dispose();
        const k = logits.length / chunk.length;
        const targets = chunk.map((it, i) => {
          if (it.label !== 'top1') return it.label;
          let best = 0;
          for (let c = 1; c < k; c++) if (logits[i * k + c] > logits[i * k + best]) best = c;
          return best;
        });
        const withBoxes = boxes.map((b, i) => (b.length ? i : -1)).filter((i) => i >= 0);
        boxed += withBoxes.length;
        for (const method of methods) {
          const a = acc.get(method)!;
          const t1 = performance.now();
          const mo = methodOpts(p, method).opts;
          const r = await explain(loaded.model, x, { method, layer, target: targets, batchSize: batch, ...mo });
          a.ms += performance.now() - t1;
          if (withBoxes.length) {
            const P = r.width * r.height;
            const sub = new Float32Array(withBoxes.length * P);
            withBoxes.forEach((i, j) => sub.set(r.map.subarray(i * P, (i + 1) * P), j * P));
            const maps = { map: sub, n: withBoxes.length, width: r.width, height: r.height };
            const bx = withBoxes.map((i) => boxes[i]);
            a.hits.push(...(await pointingGame(maps, bx)).hits);
            a.strict.push(...(await pointingGame(maps, bx, { tolerance: 0 })).hits);
            a.energy.push(...(await energyPointingGame(maps, bx)).perMap);
          }
          const cc = await confidenceChange(loaded.model, x, r, { targets, scores, batchSize: batch });
          a.drop.push(...cc.drop);
          a.increase.push(...cc.increase);
          const di = await deletionInsertion(loaded.model, x, r, { targets, scores, steps, batchSize: batch });
          a.deletion.push(...di.deletionAuc);
          a.insertion.push(...di.insertionAuc);
          if (p.options.has('arcc') && s < EVAL_ROAD_IMAGES) {
            const kk = Math.min(EVAL_ROAD_IMAGES - s, chunk.length);
            const sub = x.slice([0, 0, 0, 0], [kk, -1, -1, -1]);
            try {
              const maps = { map: r.map.subarray(0, kk * r.width * r.height), n: kk, width: r.width, height: r.height };
              const ar = await arcc(loaded.model, sub, maps, {
                targets: targets.slice(0, kk), scores, batchSize: batch,
                explain: (xm) => explain(loaded.model, xm, { method, layer, target: targets.slice(0, kk), batchSize: batch, ...mo }),
              });
              a.arcc.arcc += ar.arcc * kk;
              a.arcc.complexity += ar.complexity * kk;
              a.arcc.coherency += ar.coherency * kk;
              a.arcc.road += ar.road * kk;
              a.arcc.n += kk;
            } finally {
              sub.dispose();
            }
          }
          if (p.options.has('road') && s < EVAL_ROAD_IMAGES) {
            const kk = Math.min(EVAL_ROAD_IMAGES - s, chunk.length);
            const sub = x.slice([0, 0, 0, 0], [kk, -1, -1, -1]);
            try {
              const rr = await road(loaded.model, sub, { map: r.map.subarray(0, kk * r.width * r.height), n: kk, width: r.width, height: r.height }, { targets: targets.slice(0, kk), scores, batchSize: batch });
              a.road.morf += rr.morf * kk;
              a.road.lerf += rr.lerf * kk;
              a.road.combined += rr.combined * kk;
              a.road.n += kk;
            } finally {
              sub.dispose();
            }
          }
        }
      } finally {
        x.dispose();
      }
      if (!quiet) process.stderr.write(`eval: ${Math.min(s + batch, n)}/${n} images\n`);
    }
    const rows: EvalRow[] = methods.map((method) => {
      const a = acc.get(method)!;
      const row: EvalRow = { method, pointing: meanOf(a.hits), pointingStrict: meanOf(a.strict), energy: meanOf(a.energy), averageDrop: meanOf(a.drop), increase: meanOf(a.increase), deletion: meanOf(a.deletion), insertion: meanOf(a.insertion), msPerImage: a.ms / n };
      if (a.road.n) row.road = { morf: a.road.morf / a.road.n, lerf: a.road.lerf / a.road.n, combined: a.road.combined / a.road.n };
      if (a.arcc.n) row.arcc = { arcc: a.arcc.arcc / a.arcc.n, complexity: a.arcc.complexity / a.arcc.n, coherency: a.arcc.coherency / a.arcc.n, road: a.arcc.road / a.arcc.n };
      return row;
    });
    const total = (performance.now() - t0) / 1000;
    const md = table(rows, { model: name, n, seed: 0, backend, scores: sc, steps, total, data: labels, boxed, notes });
    // JSON: NaN (no boxed image) becomes null
    if (p.options.has('json')) process.stdout.write(JSON.stringify({ model: name, n, labels, boxed, backend, scores: sc, steps, seconds: total, sampling: notes, rows }) + '\n');
    else process.stdout.write(md);
    const outFile = str(p, 'out');
    if (outFile) writeFileSync(outFile, md);
    return rows;
  } finally {
    loaded.model.dispose();
  }
}
