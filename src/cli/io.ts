// Node-side model plumbing for the CLI: tfjs models (LayersModel or GraphModel model.json + shards)
// from disk without network, and what classes.json beside them says. Images: ./decode.ts.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileError, ModelError } from '../errors.js';

export { readImage, MAX_IMAGE_PIXELS } from './decode.js';

export type InputScale = '0-1' | '0-255' | '-1-1';
/** The old --input-scale values (each is also a --preprocess preset). */
export const INPUT_SCALES: readonly InputScale[] = ['0-1', '0-255', '-1-1'];

export interface LoadedModel {
  model: tf.LayersModel | tf.GraphModel;
  kind: 'layers' | 'graph';
  /** model.json's directory. */
  dir: string;
  /** [H, W] of the input, or null when the model accepts any size. */
  inputSize: [number, number] | null;
  classes: string[] | null;
  /** Channels of the model input: 1 (luma), 3 (RGB, or BGR for caffe) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** From classes.json: the layer to explain and how logits become probabilities. */
  targetLayer?: string;
  activation?: 'sigmoid' | 'softmax';
  /** From classes.json: `preprocess` (a preset), else the older `inputScale`; `mean` / `std` overrides. */
  preprocess?: string;
  mean?: number[];
  std?: number[];
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
  const c = shape && shape.length === 4 && shape[3] !== null && shape[3] > 0 ? shape[3] : 3;
  if (c !== 1 && c !== 3 && c !== 4) {
    model.dispose();
    throw new ModelError('E_MODEL', `The model takes ${c} input channels; camkit feeds images as 1 (luma), 3 (RGB) or 4 (RGBA) channels.`);
  }
  const out: LoadedModel = { model, kind: isGraph ? 'graph' : 'layers', dir, inputSize, classes: null, channels: c as 1 | 3 | 4 };
  // NAME.classes.json beside NAME.json (folders holding several models), else classes.json
  const own = join(dir, `${basename(file, '.json')}.classes.json`);
  const cj = existsSync(own) ? own : join(dir, 'classes.json');
  if (existsSync(cj)) {
    try {
      const c = JSON.parse(readFileSync(cj, 'utf8'));
      if (Array.isArray(c.classes)) out.classes = c.classes.map(String);
      if (typeof c.targetLayer === 'string') out.targetLayer = c.targetLayer;
      if (c.activation === 'sigmoid' || c.activation === 'softmax') out.activation = c.activation;
      if (typeof c.preprocess === 'string') out.preprocess = c.preprocess;
      else if (INPUT_SCALES.includes(c.inputScale)) out.preprocess = c.inputScale;
      const nums = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
      out.mean = nums(c.mean);
      out.std = nums(c.std);
    } catch (e) {
      model.dispose();
      throw new FileError('E_FILE', `Cannot parse ${cj}: ${(e as Error).message}`);
    }
  }
  return out;
}
