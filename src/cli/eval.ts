// `camkit eval` / `npm run eval`: every method on a deterministic synthetic benchmark set (shapes with
// boxes, generated at run time from a seed) → pointing game, energy pointing, Average Drop, Increase
// in Confidence, deletion / insertion AUC and time per image, as a markdown table.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { InputError, NameError } from '../errors.js';
import { explain } from '../capture/index.js';
import { confidenceChange, deletionInsertion, energyPointingGame, pointingGame, road, type Box, type ScoreMode } from '../metrics/index.js';
import { int, str, UsageError, type Parsed } from './args.js';
import { loadModelArg, parseMethods, progress, runnable, setBackend } from './options.js';
import { METHOD_NAMES } from '../methods/registry.js';
import { makeShapeSet } from './shapes.js';

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
}

export async function runEval(p: Parsed): Promise<EvalRow[]> {
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
  const t0 = performance.now();
  try {
    for (const method of methods) {
      const t1 = performance.now();
      const r = await explain(loaded.model, images, { method, layer, target: targets, batchSize: batch, onProgress: quiet ? undefined : progress(method) });
      const ms = (performance.now() - t1) / n;
      const pg = await pointingGame(r, boxes);
      const strict = await pointingGame(r, boxes, { tolerance: 0 });
      const en = await energyPointingGame(r, boxes);
      const cc = await confidenceChange(loaded.model, images, r, { targets, scores, batchSize: batch });
      const di = await deletionInsertion(loaded.model, images, r, { targets, scores, steps, batchSize: batch });
      const row: EvalRow = { method, pointing: pg.accuracy, pointingStrict: strict.accuracy, energy: en.energy, averageDrop: cc.averageDrop, increase: cc.increaseInConfidence, deletion: di.deletion, insertion: di.insertion, msPerImage: ms };
      if (p.options.has('road')) {
        const k = Math.min(20, n);
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
  const md = table(rows, { model: name, n, seed, backend, scores: sc, steps, total });
  if (p.options.has('json')) process.stdout.write(JSON.stringify({ model: name, n, seed, backend, scores: sc, steps, seconds: total, rows }) + '\n');
  else process.stdout.write(md);
  const out = str(p, 'out');
  if (out) writeFileSync(out, md);
  return rows;
}

export function table(rows: readonly EvalRow[], info: { model: string; n: number; seed: number; backend: string; scores: string; steps: number; total: number }): string {
  const f = (v: number) => v.toFixed(3);
  const road = rows.some((r) => r.road);
  const head = `| Method | Pointing game (↑) | Pointing, strict (↑) | Energy pointing (↑) | Average drop (↓) | Increase in confidence (↑) | Deletion AUC (↓) | Insertion AUC (↑) | ms / image |${road ? ' ROAD MoRF (↓) | ROAD LeRF (↑) | ROAD combined (↑) |' : ''}`;
  const sep = `|---|---:|---:|---:|---:|---:|---:|---:|---:|${road ? '---:|---:|---:|' : ''}`;
  const body = rows
    .map((r) => `| ${r.method} | ${f(r.pointing)} | ${f(r.pointingStrict)} | ${f(r.energy)} | ${f(r.averageDrop)} | ${f(r.increase)} | ${f(r.deletion)} | ${f(r.insertion)} | ${r.msPerImage.toFixed(1)} |${road ? (r.road ? ` ${f(r.road.morf)} | ${f(r.road.lerf)} | ${f(r.road.combined)} |` : ' | | |') : ''}`)
    .join('\n');
  return `${head}\n${sep}\n${body}\n\n${info.n} synthetic images (seed ${info.seed}), model: ${info.model}, backend ${info.backend}, scores: ${info.scores}, deletion/insertion ≤ ${info.steps} steps; pointing game with Zhang et al.'s tolerance (15 px at 224², scaled to the image), strict = the arg max inside a box; ms / image = the explain call alone; total ${info.total.toFixed(0)} s including metrics.\n`;
}
