// Reads the golden reference file (never copied into the repo) and rebuilds its models in tfjs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/conformance/e2e.js';

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

/** The file's model rebuilt from its topology and weights, by the conformance runner's loader (cached per name and backend). */
export function goldenModel(g: GoldenFile, name: string): Promise<tf.LayersModel> {
  return loadModel(g as Parameters<typeof loadModel>[0], name, tf.getBackend());
}

export function goldenImage(g: GoldenFile, id: string): tf.Tensor4D {
  const px = g.images[id].pixels;
  return tf.tensor4d(px.values, px.shape as [number, number, number, number]);
}
