// Deterministic synthetic "shapes" images with known boxes: the default model's training
// data, the bundled samples and the `camkit eval` benchmark set. Pure TS, no tfjs.
import { gauss, rng } from '../core/random.js';

export { rng };

export const SHAPE_CLASSES = ['square', 'disc', 'hbar', 'ring', 'cross'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** Pixel box, x0/y0 inclusive, x1/y1 exclusive. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface ShapeObject {
  kind: ShapeClass;
  classIndex: number;
  box: Box;
  color: [number, number, number];
}

export interface ShapeImage {
  width: number;
  height: number;
  /** HWC float32 RGB in [0,1]. */
  pixels: Float32Array;
  objects: ShapeObject[];
  /** Multi-hot label per class. */
  labels: Float32Array;
}

export interface ShapeOptions {
  width?: number;
  height?: number;
  minObjects?: number;
  maxObjects?: number;
  minSize?: number;
  maxSize?: number;
}


/** Coverage of pixel (px,py) by a shape of size s whose box starts at (bx,by); 0 or 1 per subsample. */
function inside(kind: ShapeClass, x: number, y: number, s: number): boolean {
  // x, y relative to the box centre, in pixels
  const r = s / 2;
  switch (kind) {
    case 'square':
      return Math.abs(x) <= r && Math.abs(y) <= r;
    case 'disc':
      return x * x + y * y <= r * r;
    case 'hbar':
      return Math.abs(x) <= r && Math.abs(y) <= Math.max(1.5, s / 6);
    case 'ring': {
      const d = Math.sqrt(x * x + y * y);
      return d <= r && d >= r - Math.max(2, s / 5);
    }
    case 'cross': {
      const t = Math.max(1.5, s / 6);
      return (Math.abs(x) <= r && Math.abs(y) <= t) || (Math.abs(y) <= r && Math.abs(x) <= t);
    }
  }
}

function boxHeight(kind: ShapeClass, s: number): number {
  return kind === 'hbar' ? Math.ceil(2 * Math.max(1.5, s / 6)) + 1 : s + 1;
}

/** One image; the same seed always gives the same pixels, boxes and labels. */
export function makeShapeImage(seed: number, opts: ShapeOptions = {}): ShapeImage {
  const W = opts.width ?? 64;
  const H = opts.height ?? 64;
  const minO = opts.minObjects ?? 1;
  const maxO = opts.maxObjects ?? 3;
  const minS = opts.minSize ?? 10;
  const maxS = opts.maxSize ?? 20;
  const r = rng(seed * 2654435761 + 12345);
  const count = minO + Math.floor(r() * (maxO - minO + 1));

  // background: flat level, a mild gradient, noise
  const bg = 0.05 + r() * 0.45;
  const gx = (r() - 0.5) * 0.2;
  const gy = (r() - 0.5) * 0.2;
  const noise = 0.02 + r() * 0.05;
  const pixels = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const base = bg + gx * (x / W - 0.5) + gy * (y / H - 0.5);
      for (let c = 0; c < 3; c++) pixels[(y * W + x) * 3 + c] = base;
    }

  const objects: ShapeObject[] = [];
  for (let tries = 0; objects.length < count && tries < 200; tries++) {
    const kind = SHAPE_CLASSES[Math.floor(r() * SHAPE_CLASSES.length)];
    const s = minS + Math.floor(r() * (maxS - minS + 1));
    const bh = boxHeight(kind, s);
    const x0 = 1 + Math.floor(r() * (W - s - 2));
    const y0 = 1 + Math.floor(r() * (H - bh - 2));
    const box: Box = { x0, y0, x1: x0 + s + 1, y1: y0 + bh };
    // keep a 2-pixel gap so boxes never overlap and the pointing game is unambiguous
    if (objects.some((o) => box.x0 < o.box.x1 + 2 && o.box.x0 < box.x1 + 2 && box.y0 < o.box.y1 + 2 && o.box.y0 < box.y1 + 2)) continue;
    // a colour well away from the background level
    const color: [number, number, number] = [0, 0, 0];
    for (let c = 0; c < 3; c++) color[c] = 0.55 + r() * 0.45;
    if (bg > 0.35 && r() < 0.3) for (let c = 0; c < 3; c++) color[c] = r() * 0.12;
    objects.push({ kind, classIndex: SHAPE_CLASSES.indexOf(kind), box, color });
  }

  for (const o of objects) {
    const s = o.box.x1 - o.box.x0 - 1;
    const cx = (o.box.x0 + o.box.x1 - 1) / 2;
    const cy = (o.box.y0 + o.box.y1 - 1) / 2;
    for (let y = o.box.y0; y < o.box.y1; y++)
      for (let x = o.box.x0; x < o.box.x1; x++) {
        // 2×2 supersampling for soft edges
        let cov = 0;
        for (const dy of [-0.25, 0.25]) for (const dx of [-0.25, 0.25]) if (inside(o.kind, x + dx - cx, y + dy - cy, s)) cov++;
        if (!cov) continue;
        const a = cov / 4;
        const p = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) pixels[p + c] = pixels[p + c] * (1 - a) + o.color[c] * a;
      }
  }
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, Math.max(0, pixels[i] + noise * gauss(r)));

  const labels = new Float32Array(SHAPE_CLASSES.length);
  for (const o of objects) labels[o.classIndex] = 1;
  return { width: W, height: H, pixels, objects, labels };
}

/** `n` images from consecutive seeds starting at `seed`. */
export function makeShapeSet(n: number, seed: number, opts: ShapeOptions = {}): ShapeImage[] {
  const out: ShapeImage[] = [];
  for (let i = 0; i < n; i++) out.push(makeShapeImage(seed + i, opts));
  return out;
}

/** HWC float [0,1] → RGBA8, for PNG writing. */
export function toRGBA8(img: { width: number; height: number; pixels: Float32Array }): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(Math.min(1, Math.max(0, img.pixels[i * 3 + c])) * 255);
    out[i * 4 + 3] = 255;
  }
  return out;
}
