// `camkit explain [INPUT…] [options]`: images, folders and globs → overlays and maps in --out, then
// results.json, results.csv and the paged index.html. Everything that can be checked (options, model,
// layer, target, each input's existence, format and size) is checked before the first file is written.
// Images are then explained one per explain() call, in this thread (--workers 1) or on a pool of worker
// threads, and each image's files are committed as soon as it is done (a re-run skips them).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Tinypool from 'tinypool';
import { CamkitError, NameError, type ErrorCode } from '../errors.js';
import { createAdapter } from '../capture/adapter.js';
import { resolvePreprocess, type Preprocess } from '../core/preprocess.js';
import { COLORMAPS, type ColormapName } from '../render/colormaps.js';
import { int, parseArgs, size, str, UsageError, type Parsed } from './args.js';
import { checkImageFile } from './decode.js';
import { resizeMode } from './geometry.js';
import { expandInputs, parseShard, selectShard, shown, type InputImage } from './inputs.js';
import { defaultModelDir, INPUT_SCALES, type LoadedModel } from './io.js';
import { processImage, warmUp, type JobConfig, type JobOutput, type JobSettings, type JobTask } from './job.js';
import { loadModelArg, outputArg, parseMethods, runnable, setBackend } from './options.js';
import { parseTargetSpec } from '../capture/target-spec.js';
import { Progress } from './progress.js';
import { commitImage, galleryItems, methodsToDo, readRecord, relTo, toEntries, writeResults, type ImageRecord } from './results.js';
import type { WorkerReply } from './worker.js';

export const EXPLAIN_OPTS = ['model', 'output', 'layer', 'method', 'target', 'backend', 'size', 'colormap', 'out', 'input-scale', 'preprocess', 'mean', 'std', 'resize', 'batch', 'workers', 'shard', 'page-size'];
export const EXPLAIN_FLAGS = ['json', 'help', 'quiet', 'recursive', 'force'];

export function colormapArg(v: string | undefined): ColormapName {
  const c = v ?? 'jet';
  if (!(COLORMAPS as readonly string[]).includes(c)) throw new NameError('colormap', c, COLORMAPS);
  return c as ColormapName;
}

function numbers(p: Parsed, name: string): number[] | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if ((xs.length !== 1 && xs.length !== 3) || xs.some((x) => !Number.isFinite(x) || v.trim() === '')) {
    throw new UsageError(`--${name} must be one number or three (R,G,B), e.g. 0.485,0.456,0.406; got '${v}'.`);
  }
  return xs;
}

/** --preprocess / --input-scale / --mean / --std, else what classes.json says, else pixels/255. */
export function preprocessArg(p: Parsed, loaded: Pick<LoadedModel, 'preprocess' | 'mean' | 'std'>): Preprocess {
  const pre = str(p, 'preprocess');
  const legacy = str(p, 'input-scale');
  if (pre !== undefined && legacy !== undefined) throw new UsageError('--input-scale is the older name of --preprocess: give one of them.');
  if (legacy !== undefined && !(INPUT_SCALES as readonly string[]).includes(legacy)) throw new NameError('input scale', legacy, INPUT_SCALES);
  const fromCli = pre ?? legacy;
  const mean = numbers(p, 'mean') ?? (fromCli === undefined ? loaded.mean : undefined);
  const std = numbers(p, 'std') ?? (fromCli === undefined ? loaded.std : undefined);
  return resolvePreprocess(fromCli ?? loaded.preprocess, { mean, std });
}

/** Rejects a layer name the model does not have, before anything runs (NameError with suggestions). */
export function checkLayer(loaded: LoadedModel, layer: string | null): void {
  if (layer === null || layer === 'input') return;
  const names = createAdapter(loaded.model).layerNames();
  if (names.includes(layer) || names.includes(layer.replace(/(@|:)\d+$/, ''))) return;
  throw new NameError(loaded.kind === 'graph' ? 'node' : 'layer', layer, names);
}

function workerFile(): string {
  // from the sources (tsx, tests) a shim registers tsx in the worker; the build ships dist/cli-worker.js
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './worker-tsx.mjs' : './cli-worker.js', here).href;
}

function replyError(r: Extract<WorkerReply, { ok: false }>): Error {
  if (r.code) {
    const e = new CamkitError(r.code as ErrorCode, r.message);
    e.name = r.name;
    return e;
  }
  const e = new Error(r.message);
  e.name = r.name;
  return e;
}

/**
 * Runs `tasks` on `workers` threads (at most two queued per thread), calling `done` in completion order.
 * Every thread first loads its model and warms it up (one task each), then `ready` is called.
 */
async function runPool(workers: number, config: JobConfig, tasks: readonly JobTask[], done: (o: JobOutput) => void, onPool: (p: Tinypool | null) => void, ready: () => void): Promise<void> {
  const pool = new Tinypool({ filename: workerFile(), minThreads: workers, maxThreads: workers });
  onPool(pool);
  try {
    const n = Math.min(workers, tasks.length);
    for (const reply of (await Promise.all(Array.from({ length: n }, () => pool.run({ config, task: null })))) as WorkerReply[]) {
      if (!reply.ok) throw replyError(reply);
    }
    ready();
    await new Promise<void>((resolveAll, rejectAll) => {
      let next = 0, inflight = 0, failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        rejectAll(e);
      };
      const pump = () => {
        while (!failed && inflight < 2 * workers && next < tasks.length) {
          const task = tasks[next++];
          inflight++;
          (pool.run({ config, task }) as Promise<WorkerReply>).then(
            (reply) => {
              inflight--;
              if (failed) return;
              if (!reply.ok) return fail(replyError(reply));
              try {
                done(reply.out!);
              } catch (e) {
                return fail(e);
              }
              pump();
            },
            (e) => {
              inflight--;
              fail(e);
            },
          );
        }
        if (!failed && inflight === 0 && next >= tasks.length) resolveAll();
      };
      pump();
    });
  } finally {
    onPool(null);
    await pool.destroy();
  }
}

export async function cmdExplain(argv: string[], usage: string): Promise<void> {
  const p = parseArgs(argv, EXPLAIN_OPTS, EXPLAIN_FLAGS);
  if (p.options.has('help')) return void process.stdout.write(usage);
  // everything that can be checked is checked before any file is written
  const asked = str(p, 'method');
  const { run: methods, skipped } = runnable(parseMethods(asked));
  // A method asked for by name must run; 'all' skips what this model cannot give, with the reason.
  if (asked?.trim().toLowerCase() !== 'all' && skipped.length) throw new UsageError(`${skipped[0].method} cannot run here: ${skipped[0].reason}.`);
  const outSize = size(str(p, 'size'));
  const colormap = colormapArg(str(p, 'colormap'));
  const resize = resizeMode(str(p, 'resize'));
  const batch = str(p, 'batch') === undefined ? undefined : int(p, 'batch', 1);
  const workers = int(p, 'workers', 1);
  if (workers > 256) throw new UsageError(`--workers must be at most 256, got ${workers}.`);
  const shard = parseShard(str(p, 'shard'));
  const pageSize = int(p, 'page-size', 100);
  const json = p.options.has('json');
  const quiet = p.options.has('quiet');
  const force = p.options.has('force');
  const out = resolve(str(p, 'out') ?? 'camkit-out');
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory.`);
  const backend = await setBackend(str(p, 'backend'));
  const { loaded, name: modelName } = await loadModelArg(p);
  if (!quiet) for (const sk of skipped) process.stderr.write(`camkit: skipped ${sk.method}: ${sk.reason}\n`);
  let mainModel: LoadedModel | null = loaded;
  try {
    const preprocess = preprocessArg(p, loaded);
    // Parsed here to fail early; jobs (and worker threads) parse the same text again.
    const target = str(p, 'target') ?? 'top1';
    parseTargetSpec(target, loaded.classes);
    const output = outputArg(p, loaded);
    const layer = str(p, 'layer') ?? loaded.targetLayer ?? null;
    checkLayer(loaded, layer);

    let args = p.positionals;
    if (args.length === 0) {
      if (str(p, 'model')) throw new UsageError('Give one or more images, folders or globs to explain with --model (the bundled samples belong to the default model).');
      const dir = join(defaultModelDir(), 'samples');
      args = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => join(dir, f));
    }
    const all = await expandInputs(args, { recursive: p.options.has('recursive'), exclude: out });
    const mine = selectShard(all, shard);
    for (const im of mine) checkImageFile(im.path);

    const modelPath = str(p, 'model');
    const settings: JobSettings = {
      model: modelPath ? resolve(modelPath) : 'camkit default',
      backend,
      layer,
      output,
      target,
      preprocess,
      channels: loaded.channels,
      resize,
      size: outSize,
      colormap,
    };
    const config: JobConfig = { settings, modelPath: modelPath ? resolve(modelPath) : null, classes: loaded.classes, batch };

    // what is left to do
    const records = new Map<number, ImageRecord>();
    const tasks: JobTask[] = [];
    for (const im of mine) {
      const rec = readRecord(out, im.stem);
      const todo = force ? [...methods] : methodsToDo(out, rec, settings, methods, im.key, im.abs);
      if (todo.length) tasks.push({ index: im.index, abs: im.abs, path: im.path, stem: im.stem, methods: todo });
      else records.set(im.index, rec!);
    }
    const skipped = mine.length - tasks.length;
    const byIndex = new Map<number, InputImage>(mine.map((im) => [im.index, im]));
    const tty = !!process.stderr.isTTY;
    if (!quiet && skipped) process.stderr.write(`camkit: ${skipped} of ${mine.length} images already have their outputs in ${shown(out)}: skipped (--force redoes them).\n`);
    const progress = new Progress(tasks.length, tasks.reduce((a, t) => a + t.methods.length, 0), { quiet, tty });

    const commit = (o: JobOutput) => {
      const im = byIndex.get(o.index)!;
      const kept = readRecord(out, im.stem);
      const rec = commitImage(out, o, { index: im.index, key: im.key, image: im.abs, stem: im.stem, settings }, kept, methods);
      records.set(im.index, rec);
      progress.image(o.entries.map((e) => ({ stem: im.stem, method: e.method, className: e.class ?? String(e.target), score: e.score, ms: e.ms })));
    };

    // Ctrl-C / SIGTERM: every commit is synchronous, so stopping between two of them leaves only whole files
    let pool: Tinypool | null = null;
    const stop = (signal: NodeJS.Signals) => {
      progress.end();
      process.stderr.write(`camkit: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} after ${records.size - skipped} of ${tasks.length} images; their files are complete, nothing partial is left (re-run to finish).\n`);
      void pool?.destroy();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      if (tasks.length && workers > 1) {
        // each worker loads its own copy; this one was only needed for the checks above
        loaded.model.dispose();
        mainModel = null;
        await runPool(workers, config, tasks, commit, (pl) => (pool = pl), () => progress.start());
      } else if (tasks.length) {
        await warmUp({ loaded }, config);
        progress.start();
        for (const t of tasks) commit(await processImage({ loaded }, config, t));
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      progress.end();
    }

    const recs = mine.map((im) => ({ rec: records.get(im.index)!, dir: out }));
    const wrote: string[] = [];
    if (!shard) {
      const info = { model: modelName, backend, colormap, pageSize };
      wrote.push('results.json', 'results.csv', ...writeResults(out, toEntries(recs, out, methods), galleryItems(recs, out, methods), info));
    }
    if (json) process.stdout.write(JSON.stringify({ results: toEntries(recs, process.cwd(), methods) }) + '\n');
    if (!quiet) {
      const rate = tasks.length ? ` in ${progress.seconds().toFixed(1)} s (${progress.rate().toFixed(2)} images/s)` : '';
      const where = relTo(process.cwd(), out);
      const files = shard
        ? `; shard ${shard.index}/${shard.count} of ${all.length} images: run camkit merge ${where} when every shard is done`
        : ` and ${wrote.length > 4 ? `${wrote.length - 2} gallery pages` : 'index.html'}, results.json, results.csv`;
      process.stderr.write(`camkit: explained ${tasks.length} images × ${methods.length} method${methods.length > 1 ? 's' : ''}${rate}; outputs in ${where}${files}.\n`);
    }
  } finally {
    mainModel?.model.dispose();
  }
}
