// The tests' one way to read the golden reference files (never copied into the repo): the conformance
// runner's parser, cached per file, and the runner's model loader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/conformance/e2e.js';
import { parseGolden, type GoldenArray as SchemaArray, type GoldenCase as SchemaCase, type GoldenFile as SchemaFile, type GoldenMethodRef } from '../../src/conformance/golden.js';

/** A stored array; every array of the public files carries its shape. */
export type GoldenArray = SchemaArray & { shape: number[] };

// The schema type with the fields every public case carries made required (a view, not a second schema).
type Req<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
export type GoldenMethod = Req<Omit<GoldenMethodRef, 'cam_lowres' | 'extra'>, 'grayscale_cam'> & { cam_lowres: GoldenArray & { shape: number[] }; extra?: Record<string, unknown> };
export type GoldenCase = Req<Omit<SchemaCase, 'methods'>, 'model' | 'image' | 'target_layer' | 'target_class' | 'logits' | 'gradients'> & { methods: Record<string, GoldenMethod> };
export type GoldenFile = Req<Omit<SchemaFile, 'cases'>, 'models' | 'images' | 'meta'> & { cases: GoldenCase[] };

// ../shared beside the repository; CAMKIT_SHARED names another folder (npm run mutate's sandboxes sit deeper).
const shared = (f: string) =>
  process.env.CAMKIT_SHARED ? `${process.env.CAMKIT_SHARED}/golden/${f}` : fileURLToPath(new URL(`../../../shared/golden/${f}`, import.meta.url));
export const GOLDEN_PATH = shared('golden-public.json');
export const GOLDEN_V2_PATH = shared('golden-v2-public.json');

const cache = new Map<string, GoldenFile>();
/** A golden file (default: the v1 public set), parsed once per test file. */
export function loadGolden(path: string = GOLDEN_PATH): GoldenFile {
  let g = cache.get(path);
  if (!g) cache.set(path, (g = parseGolden(readFileSync(path, 'utf8'), path) as GoldenFile));
  return g;
}

/** The file's model rebuilt from its topology and weights, by the conformance runner's loader (cached per name and backend). */
export function goldenModel(g: GoldenFile, name: string): Promise<tf.LayersModel> {
  return loadModel(g as SchemaFile, name, tf.getBackend());
}

export function goldenImage(g: GoldenFile, id: string): tf.Tensor4D {
  const px = g.images[id].pixels;
  return tf.tensor4d(px.values, px.shape as [number, number, number, number]);
}
