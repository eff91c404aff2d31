// Reads the v2 golden reference file (schema gradcam-golden/2; never copied into the repo).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { GoldenArray } from './golden.js';

export const GOLDEN_V2_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'golden', 'golden-v2-public.json');

export interface GoldenV2Method {
  weights: number[] | null;
  cam_lowres: GoldenArray | null;
  grayscale_cam: GoldenArray;
  detail_stored?: boolean;
  extra?: Record<string, unknown>;
}
export interface GoldenV2Case {
  id: string;
  model: string;
  image: string;
  target_layer: string;
  activations: GoldenArray;
  gradients: GoldenArray;
  methods: Record<string, GoldenV2Method>;
}
export interface GoldenV2File {
  schema: string;
  images: Record<string, { pixels: GoldenArray }>;
  cases: GoldenV2Case[];
}

let cached: GoldenV2File | null = null;
export function loadGoldenV2(): GoldenV2File {
  cached ??= JSON.parse(readFileSync(GOLDEN_V2_PATH, 'utf8')) as GoldenV2File;
  return cached;
}
