// One image through `camkit explain`: decode, fit to the model input, explain with each method, draw the
// maps back onto the image, encode the files. The same code runs in the main thread (--workers 1) and
// in each worker thread, one image per explain() call, so the bytes never depend on --workers, --shard
// or which other images are in the run. Nothing here writes files: the caller commits them.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CamkitError } from '../errors.js';
import { explain } from '../capture/index.js';
import { toModelInput, type Preprocess } from '../core/preprocess.js';
import { renderOverlay } from '../render/overlay.js';
import type { ColormapName } from '../render/colormaps.js';
import { encodeMapPng, mapToJson } from '../render/mapfile.js';
import { encodePng } from '../render/png.js';
import { getRuntime } from '../runtime/init.js';
import { readImage } from './decode.js';
import { fitImage, fitToModel, mapToImage, resizeRGBA, type ResizeMode } from './geometry.js';
import { defaultModelDir, loadModelFromDisk, type LoadedModel } from './io.js';
import { setBackend } from './options.js';
import { parseTargetSpec } from '../capture/target-spec.js';

/** Everything that decides an image's output bytes (and so whether existing outputs can be kept). */
export interface JobSettings {
  model: string;
  backend: string;
  layer: string | null;
  /** --output: the model output explained (name or index), null for the first. */
  output: string | number | null;
  /** The --target text (parsed by parseTargetSpec in each thread: targets may be functions). */
  target: string;
  preprocess: Preprocess;
  channels: number;
  resize: ResizeMode;
  size: [number, number] | null;
  colormap: ColormapName;
}

export interface JobConfig {
  settings: JobSettings;
  /** model.json path (absolute) or null for the bundled model. */
  modelPath: string | null;
  classes: string[] | null;
  /** explain()'s batchSize (inputs per model call for perturbation methods). */
  batch?: number;
}

export interface JobTask {
  index: number;
  abs: string;
  /** As the user gave it (for messages). */
  path: string;
  stem: string;
  methods: string[];
}

/** One image × method, as in results.json (paths relative to the output folder). */
export interface Entry {
  method: string;
  target: number;
  class: string | null;
  score: number;
  width: number;
  height: number;
  files: { overlay: string; map_json: string; map_png: string };
  ms: number;
}

export interface JobOutput {
  index: number;
  stem: string;
  input: string;
  files: Array<{ name: string; data: Uint8Array }>;
  entries: Entry[];
}

export interface JobContext {
  loaded: LoadedModel;
}

/** A thread's model and backend, loaded once. */
export async function createContext(cfg: JobConfig): Promise<JobContext> {
  await setBackend(cfg.settings.backend);
  const loaded = await loadModelFromDisk(cfg.modelPath ?? defaultModelDir());
  return { loaded };
}

/**
 * One explain (the default method: a forward and a backward pass) on a blank input of the model's size:
 * the first call in a thread is several times slower (kernel and JIT warm-up), and rates are measured
 * after it. Its errors are left to the images' own runs. Models without a fixed input size are not warmed.
 */
export async function warmUp(ctx: JobContext, cfg: JobConfig): Promise<void> {
  const { loaded } = ctx;
  if (!loaded.inputSize) return;
  const [H, W] = loaded.inputSize;
  const x = tf.zeros([1, H, W, loaded.channels]);
  try {
    await explain(loaded.model, x, { layer: cfg.settings.layer ?? undefined, output: cfg.settings.output ?? undefined, target: parseTargetSpec(cfg.settings.target, cfg.classes) });
  } catch {
    /* reported by the first image */
  } finally {
    x.dispose();
  }
}

export function fileNames(stem: string, method: string) {
  return { overlay: `${stem}.${method}.png`, map_json: `${stem}.${method}.map.json`, map_png: `${stem}.${method}.map.png` };
}

export const inputName = (stem: string) => `${stem}.input.png`;

export async function processImage(ctx: JobContext, cfg: JobConfig, task: JobTask): Promise<JobOutput> {
  const { settings: s } = cfg;
  const { loaded } = ctx;
  const rgba = await readImage(task.abs);
  const [H, W] = loaded.inputSize ?? [rgba.height, rgba.width];
  const fit = fitImage(s.resize, rgba.width, rgba.height, W, H);
  const modelRgba = fitToModel(rgba, fit);
  const outW = s.size?.[0] ?? rgba.width, outH = s.size?.[1] ?? rgba.height;
  const display = resizeRGBA(rgba, outW, outH);
  const rt = await getRuntime();
  const files: JobOutput['files'] = [];
  const png = (w: number, h: number, data: Uint8Array | Uint8ClampedArray) =>
    encodePng({ width: w, height: h, color: 'rgba', bitDepth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
  files.push({ name: inputName(task.stem), data: await png(outW, outH, display.data) });
  const x = tf.tensor4d(toModelInput(modelRgba.data, W, H, loaded.channels, s.preprocess), [1, H, W, loaded.channels]);
  const entries: Entry[] = [];
  try {
    for (const method of task.methods) {
      const t0 = performance.now();
      const r = await explain(loaded.model, x, { method, layer: s.layer ?? undefined, output: s.output ?? undefined, target: parseTargetSpec(s.target, cfg.classes), batchSize: cfg.batch });
      const ms = performance.now() - t0;
      if (r.width !== W || r.height !== H) throw new CamkitError('E_SHAPE', `explain returned a ${r.width}×${r.height} map for a ${W}×${H} input.`);
      const values = mapToImage(rt, r.map.subarray(0, W * H), fit, outW, outH);
      const map = { width: outW, height: outH, values };
      const ov = await renderOverlay(map, display, { colormap: s.colormap });
      const names = fileNames(task.stem, method);
      files.push({ name: names.overlay, data: await png(ov.width, ov.height, ov.data) });
      files.push({ name: names.map_json, data: new TextEncoder().encode(JSON.stringify(mapToJson(map))) });
      files.push({ name: names.map_png, data: await encodeMapPng(map, { bitDepth: 16 }) });
      const cls = r.classIndex[0];
      entries.push({ method, target: cls, class: cfg.classes?.[cls] ?? null, score: r.score[0], width: outW, height: outH, files: names, ms: Math.round(ms * 10) / 10 });
    }
  } finally {
    x.dispose();
  }
  return { index: task.index, stem: task.stem, input: inputName(task.stem), files, entries };
}
