// Reads the golden reference file (never copied into the repo) and rebuilds its models in tfjs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const GOLDEN_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'golden', 'golden-public.json');

export interface GoldenArray {
  shape: number[];
  values: number[];
}
export interface GoldenCase {
  id: string;
  model: string;
  image: string;
  target_layer: string;
  target_class: number;
  logits: number[];
  activations: GoldenArray;
  gradients: GoldenArray;
  methods: Record<string, { weights: number[] | null; grayscale_cam: GoldenArray; cam_lowres: GoldenArray; extra?: Record<string, unknown> }>;
  guided_backprop: GoldenArray | null;
}
export interface GoldenFile {
  models: Record<string, { tfjs_model_topology: unknown; weights: { name: string; shape: number[]; values: number[] }[] }>;
  images: Record<string, { pixels: GoldenArray; objects: { class_index: number; cy: number; cx: number; size: number }[] }>;
  cases: GoldenCase[];
}

let cached: GoldenFile | null = null;
export function loadGolden(): GoldenFile {
  cached ??= JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as GoldenFile;
  return cached;
}

const models = new Map<string, Promise<tf.LayersModel>>();
/** The file's model rebuilt from its topology and weights (cached per name and backend). */
export function goldenModel(g: GoldenFile, name: string): Promise<tf.LayersModel> {
  const key = `${name}|${tf.getBackend()}`;
  let p = models.get(key);
  if (!p) {
    const m = g.models[name];
    const weightSpecs = m.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const }));
    const buf = new Float32Array(m.weights.reduce((n, w) => n + w.values.length, 0));
    let o = 0;
    for (const w of m.weights) {
      buf.set(w.values, o);
      o += w.values.length;
    }
    p = tf.loadLayersModel(tf.io.fromMemory({ modelTopology: m.tfjs_model_topology as object, weightSpecs, weightData: buf.buffer }));
    models.set(key, p);
  }
  return p;
}

export function goldenImage(g: GoldenFile, id: string): tf.Tensor4D {
  const px = g.images[id].pixels;
  return tf.tensor4d(px.values, px.shape as [number, number, number, number]);
}
