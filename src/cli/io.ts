// Node-side file plumbing for the CLI: images (PNG via pngjs, JPEG via jpeg-js) to RGBA and to model
// input, and tfjs models (LayersModel or GraphModel model.json + shards) from disk without network.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { FileError, InputError } from '../errors.js';
import type { RGBAImage } from '../render/types.js';

export type InputScale = '0-1' | '0-255' | '-1-1';
export const INPUT_SCALES: readonly InputScale[] = ['0-1', '0-255', '-1-1'];

/** Largest image the CLI decodes (the same pixel limit as camkit's own PNG reader). */
export const MAX_IMAGE_PIXELS = 1 << 26;

/** Decodes a PNG or JPEG file to RGBA8 (alpha ignored downstream). */
export function readImage(path: string): RGBAImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError('E_FILE', code === 'ENOENT' ? `No such file: ${path}` : code === 'EISDIR' ? `${path} is a directory, not an image` : `Cannot read ${path} (${code ?? (e as Error).message})`);
  }
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  // pngjs allocates width·height·4 from the header before inflating: a 350 KB file claiming
  // 30000×30000 took > 10 GB. Refuse oversized headers first (JPEG: jpeg-js's own limit below).
  if (isPng && bytes.length >= 24) {
    const w = ((bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]) >>> 0;
    const h = ((bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23]) >>> 0;
    if (w * h > MAX_IMAGE_PIXELS) throw new FileError('E_FILE', `${path} is too large (${w}×${h}); camkit reads images up to ${MAX_IMAGE_PIXELS / 2 ** 20} megapixels.`);
  }
  try {
    if (isPng) {
      const p = PNG.sync.read(bytes);
      return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
    }
    if (isJpeg) {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
      if (!j.width || !j.height) throw new Error('empty image');
      return { width: j.width, height: j.height, data: j.data };
    }
  } catch (e) {
    throw new FileError('E_FILE', `Cannot decode ${path}: corrupt or unsupported ${isPng ? 'PNG' : 'JPEG'} (${(e as Error).message.split('\n')[0]})`);
  }
  throw new FileError('E_FILE', `Unsupported image format: ${path} (camkit reads PNG and JPEG)`);
}

/** Half-pixel bilinear resize of RGBA8 (cv2 INTER_LINEAR convention). */
export function resizeRGBA(img: RGBAImage, W: number, H: number): RGBAImage {
  if (img.width === W && img.height === H) return { width: W, height: H, data: new Uint8Array(img.data) };
  const out = new Uint8Array(W * H * 4);
  const { width: w, height: h, data } = img;
  for (let y = 0; y < H; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (h / H) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h - 1), fy = sy - y0;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / W) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w - 1), fx = sx - x0;
      for (let c = 0; c < 4; c++) {
        const a = data[(y0 * w + x0) * 4 + c] * (1 - fx) + data[(y0 * w + x1) * 4 + c] * fx;
        const b = data[(y1 * w + x0) * 4 + c] * (1 - fx) + data[(y1 * w + x1) * 4 + c] * fx;
        out[(y * W + x) * 4 + c] = Math.round(a * (1 - fy) + b * fy);
      }
    }
  }
  return { width: W, height: H, data: out };
}

/** RGBA8 (already at the model size) → HWC float RGB in the model's input range. */
export function toModelInput(img: RGBAImage, scale: InputScale, out: Float32Array, offset: number): void {
  const n = img.width * img.height;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) {
      const v = img.data[i * 4 + c];
      out[offset + i * 3 + c] = scale === '0-255' ? v : scale === '-1-1' ? (v / 255) * 2 - 1 : v / 255;
    }
}

export interface LoadedModel {
  model: tf.LayersModel | tf.GraphModel;
  kind: 'layers' | 'graph';
  /** model.json's directory. */
  dir: string;
  /** [H, W] of the input, or null when the model accepts any size. */
  inputSize: [number, number] | null;
  classes: string[] | null;
  /** From classes.json: the layer to explain and how logits become probabilities. */
  targetLayer?: string;
  activation?: 'sigmoid' | 'softmax';
  inputScale?: InputScale;
}

/** The bundled default model: ../models/default/ next to dist/ (built) or two levels up (sources). */
export function defaultModelDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../models/default', '../../models/default']) {
    const d = resolve(here, rel);
    if (existsSync(join(d, 'model.json'))) return d;
  }
  throw new FileError('E_FILE', `The bundled default model is missing (looked for models/default/model.json near ${here}).`);
}

/** Loads model.json (a file or a directory holding one) and its weight shards from disk. */
export async function loadModelFromDisk(path: string): Promise<LoadedModel> {
  let file = resolve(path);
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'model.json');
  if (!existsSync(file)) throw new FileError('E_FILE', `No model at ${path} (expected a model.json or a directory with one).`);
  const dir = dirname(file);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileError('E_FILE', `Cannot parse ${file}: ${(e as Error).message}`);
  }
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  const manifest = json.weightsManifest as Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> | undefined;
  if (!topology || !Array.isArray(manifest)) throw new FileError('E_FILE', `${file} is not a TensorFlow.js model.json (no modelTopology / weightsManifest).`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: Uint8Array[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const sp = join(dir, decodeURIComponent(p));
      try {
        shards.push(readFileSync(sp));
      } catch {
        throw new FileError('E_FILE', `Missing weight shard ${sp} listed in ${file}.`);
      }
    }
  }
  const weightData = new Uint8Array(shards.reduce((a, s) => a + s.length, 0));
  let o = 0;
  for (const s of shards) {
    weightData.set(s, o);
    o += s.length;
  }
  const isGraph = json.format === 'graph-model' || Array.isArray((topology as { node?: unknown }).node);
  const artifacts: tf.io.ModelArtifacts = {
    ...(json as tf.io.ModelArtifacts),
    modelTopology: topology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: weightData.buffer,
  };
  let model: tf.LayersModel | tf.GraphModel;
  try {
    model = isGraph ? await tf.loadGraphModel(tf.io.fromMemory(artifacts)) : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new FileError('E_FILE', `Cannot build the model in ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const shape = (isGraph ? (model as tf.GraphModel).inputs[0]?.shape : (model as tf.LayersModel).inputs[0]?.shape) as (number | null)[] | undefined;
  const inputSize: [number, number] | null = shape && shape.length === 4 && shape[1] && shape[2] ? [shape[1], shape[2]] : null;
  if (shape && shape.length === 4 && shape[3] !== 3 && shape[3] !== null && shape[3] !== -1) {
    throw new InputError('E_SHAPE', `The model takes ${shape[3]} input channels; the CLI feeds RGB images (3).`);
  }
  const out: LoadedModel = { model, kind: isGraph ? 'graph' : 'layers', dir, inputSize, classes: null };
  const cj = join(dir, 'classes.json');
  if (existsSync(cj)) {
    try {
      const c = JSON.parse(readFileSync(cj, 'utf8'));
      if (Array.isArray(c.classes)) out.classes = c.classes.map(String);
      if (typeof c.targetLayer === 'string') out.targetLayer = c.targetLayer;
      if (c.activation === 'sigmoid' || c.activation === 'softmax') out.activation = c.activation;
      if (INPUT_SCALES.includes(c.inputScale)) out.inputScale = c.inputScale;
    } catch (e) {
      throw new FileError('E_FILE', `Cannot parse ${cj}: ${(e as Error).message}`);
    }
  }
  return out;
}
