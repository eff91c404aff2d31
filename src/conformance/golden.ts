// Reader for files of the golden schema ("gradcam-golden/1" and "gradcam-golden/2", see the golden
// README): the one loader of the conformance runner and the tests. Any file of either schema works,
// not just the public ones. Arrays stay as parsed JSON until a case needs them, so a large file costs
// one parse and no up-front copies.
import { FileError } from '../errors.js';

export interface GoldenArray {
  layout?: string;
  shape?: number[];
  values: number[];
}

export interface GoldenMethodRef {
  weights?: number[] | null;
  cam_lowres?: GoldenArray | null;
  grayscale_cam?: GoldenArray | null;
  extra?: Record<string, unknown> | unknown[] | null;
  weights_source?: string;
  /** v2: whether the method's intermediates are stored in extra. */
  detail_stored?: boolean;
  cam_lowres_relu_max?: number;
  cam_lowres_relu_min?: number;
  cam_lowres_scaled?: GoldenArray | null;
  upsampled_min?: number;
  upsampled_max?: number;
  checks?: Record<string, unknown>;
  all_zero?: boolean;
  precision_sensitive?: boolean;
  grayscale_max?: number;
  target_used?: unknown;
}

/** v2: a target other than the case's class logit, with its own gradients and method references. */
export interface GoldenTargetRef {
  target?: string;
  value?: number;
  /** `{equals: "case.gradients" | "-case.gradients (bitwise)"}` when they equal the case's (negated). */
  gradients?: (GoldenArray & { shape: number[] }) | { equals: string } | null;
  methods?: Record<string, GoldenMethodRef> | null;
  [k: string]: unknown;
}

export interface GoldenCase {
  id: string;
  model?: string;
  image?: string;
  target_layer?: string;
  target_class?: number;
  logits?: number[];
  /** v2: 'classification' | 'segmentation'. */
  task?: string;
  /** v2: 'cnn' | 'vit'. */
  architecture?: string;
  /** v2: the target's definition (type, category, mask…). */
  target?: Record<string, unknown>;
  activations: GoldenArray & { shape: number[] };
  gradients?: (GoldenArray & { shape: number[] }) | null;
  methods: Record<string, GoldenMethodRef>;
  /** v2: other targets of the same case. */
  targets?: Record<string, GoldenTargetRef> | null;
  guided_backprop?: GoldenArray | null;
  guided_gradcam?: GoldenArray | null;
  guided_gradcam_deprocessed_uint8?: GoldenArray | null;
  class_selector?: string;
  target_class_rank?: number;
  /** v2 segmentation: the model output [1, h, w, classes]. */
  output?: GoldenArray & { shape: number[] };
  /** v2 ViT: pytorch-grad-cam's reshape_transform parameters. */
  reshape_transform?: { drop_tokens?: number[]; height?: number; width?: number; rule?: string };
  token_activations?: GoldenArray & { shape: number[] };
  token_gradients?: GoldenArray & { shape: number[] };
  attention_probs?: ({ block: number; layout?: string; shape: number[]; values: number[] } | null)[] | null;
}

export interface GoldenModel {
  kind?: string;
  task?: string;
  architecture?: string;
  input_shape?: number[];
  output_layer?: string;
  tfjs_model_topology?: object | null;
  /** v2 ViT: the documented forward pass. */
  forward?: Record<string, unknown>;
  weights?: { name: string; shape: number[]; values: number[]; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface GoldenImage {
  pixels: GoldenArray & { shape: number[] };
  objects?: { kind?: string; class_index: number; cy: number; cx: number; size: number; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface GoldenFile {
  schema: string;
  meta?: { input_hw?: [number, number]; class_names?: string[]; seg_class_names?: string[]; [k: string]: unknown };
  models?: Record<string, GoldenModel>;
  images?: Record<string, GoldenImage>;
  cases: GoldenCase[];
}

/** The schemas this reader takes: v2 adds tasks, architectures, targets and methods to v1's layout. */
export const GOLDEN_SCHEMAS = ['gradcam-golden/1', 'gradcam-golden/2'] as const;
export const GOLDEN_SCHEMA = GOLDEN_SCHEMAS[0];

const bad = (msg: string) => new FileError('E_FILE', msg);

/** Parses and checks the file's outline (schema, cases, each case's arrays); throws FileError. */
export function parseGolden(text: string, name = 'golden file'): GoldenFile {
  let g: GoldenFile;
  try {
    g = JSON.parse(text) as GoldenFile;
  } catch (e) {
    throw bad(`${name} is not valid JSON: ${(e as Error).message}`);
  }
  if (!g || typeof g !== 'object') throw bad(`${name} is not a JSON object.`);
  if (!(GOLDEN_SCHEMAS as readonly string[]).includes(g.schema)) throw bad(`${name} has schema ${JSON.stringify(g.schema)}, expected one of ${GOLDEN_SCHEMAS.map((x) => `"${x}"`).join(', ')}.`);
  if (!Array.isArray(g.cases)) throw bad(`${name} has no cases array.`);
  g.cases.forEach((c, i) => checkCase(c, i, name));
  return g;
}

function checkCase(c: GoldenCase, i: number, name: string): void {
  const where = `${name}: case ${i}${c && typeof c.id === 'string' ? ` (${c.id})` : ''}`;
  if (!c || typeof c !== 'object' || typeof c.id !== 'string') throw bad(`${where} has no string id.`);
  checkArray(c.activations, `${where} activations`, 4);
  if (c.gradients != null) {
    checkArray(c.gradients, `${where} gradients`, 4);
    if (c.gradients.shape.join() !== c.activations.shape.join()) throw bad(`${where}: gradients shape differs from activations.`);
  }
  if (!c.methods || typeof c.methods !== 'object') throw bad(`${where} has no methods object.`);
}

export function checkArray(a: unknown, where: string, rank?: number): asserts a is GoldenArray & { shape: number[] } {
  const x = a as GoldenArray;
  if (!x || typeof x !== 'object' || !Array.isArray(x.values)) throw bad(`${where} has no values array.`);
  if (!Array.isArray(x.shape) || !x.shape.every((d) => Number.isInteger(d) && d > 0)) throw bad(`${where} has no valid shape.`);
  if (rank !== undefined && x.shape.length !== rank) throw bad(`${where} must have rank ${rank}, has shape [${x.shape.join(', ')}].`);
  const size = x.shape.reduce((p, d) => p * d, 1);
  if (x.values.length !== size) throw bad(`${where} has ${x.values.length} values for shape [${x.shape.join(', ')}].`);
}

/** Values of a schema array (or a plain number list) as float32; null stays null. */
export function f32(a: GoldenArray | readonly number[] | null | undefined): Float32Array | null {
  if (a == null) return null;
  const v = Array.isArray(a) ? a : (a as GoldenArray).values;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw bad('an array holds non-numbers.');
  return Float32Array.from(v);
}

/** [height, width] of the model input: meta.input_hw, else the first grayscale_cam's shape. */
export function inputSize(g: GoldenFile, c: GoldenCase): [number, number] | undefined {
  const hw = g.meta?.input_hw;
  if (Array.isArray(hw) && hw.length === 2) return [hw[0], hw[1]];
  for (const m of Object.values(c.methods)) {
    const s = m?.grayscale_cam?.shape;
    if (Array.isArray(s) && s.length === 2) return [s[0], s[1]];
  }
  return undefined;
}

/** What an end-to-end case explains: its stored image (with a shape), target layer and class; null when one is missing. */
export function caseSubject(file: GoldenFile, c: GoldenCase): { image: GoldenArray & { shape: number[] }; layer: string; cls: number } | null {
  const image = (file.images as Record<string, { pixels?: GoldenArray }> | undefined)?.[String(c.image ?? '')]?.pixels;
  const layer = String(c.target_layer ?? '');
  const cls = c.target_class;
  if (!image || !image.shape || !layer || typeof cls !== 'number') return null;
  return { image: image as GoldenArray & { shape: number[] }, layer, cls };
}
