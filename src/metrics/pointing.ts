// Pointing game (Zhang et al., 2016) and energy-based pointing game (Wang et al., Score-CAM, 2020)
// against ground-truth boxes. Pure arithmetic on the maps: no model needed.
import { InputError, OptionError } from '../errors.js';
import { mapsAt, type MapsInput } from './common.js';

/** Pixel box: x0, y0 inclusive; x1, y1 exclusive. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PointingOptions {
  /** Map size to evaluate at (the boxes' pixel grid). Default the first map's size. */
  width?: number;
  height?: number;
  /**
   * A hit may miss a box by up to this many pixels. Default 'zhang': Zhang et al.'s 15 px at 224 px,
   * scaled to the map (15 · min(H, W) / 224; 4.3 px at 64²). 0 is the strict variant.
   */
  tolerance?: number | 'zhang';
}

export interface PointingResult {
  /** Share of maps whose maximum falls in (or within `tolerance` of) one of its boxes. */
  accuracy: number;
  /** The tolerance used, in pixels. */
  tolerance: number;
  hits: Uint8Array;
  /** The arg max (x, y) per map, first in row-major order on ties. */
  points: Array<[number, number]>;
}

export interface EnergyResult {
  /** Mean over maps of (map energy inside the boxes) / (total map energy). */
  energy: number;
  perMap: Float32Array;
}

function checkBoxes(boxes: readonly (readonly Box[])[], n: number): void {
  if (!Array.isArray(boxes) || boxes.length !== n) throw new InputError('E_SHAPE', `boxes must hold one list of boxes per map (${n}), got ${Array.isArray(boxes) ? boxes.length : typeof boxes}.`);
  boxes.forEach((bs, i) => {
    if (!Array.isArray(bs) || bs.length === 0) throw new InputError('E_EMPTY', `Map ${i} has no boxes.`);
    for (const b of bs) {
      if (![b?.x0, b?.y0, b?.x1, b?.y1].every(Number.isFinite) || b.x1 <= b.x0 || b.y1 <= b.y0) {
        throw new InputError('E_SHAPE', `Map ${i} has an invalid box ${JSON.stringify(b)} (need x0 < x1, y0 < y1).`);
      }
    }
  });
}

function sizeOf(maps: MapsInput, opts: PointingOptions): [number, number, number] {
  const n = Array.isArray(maps) ? maps.length : maps && typeof maps === 'object' && 'n' in maps ? (maps as { n: number }).n : NaN;
  const first = Array.isArray(maps) ? (maps[0] as { width?: number; height?: number } | undefined) : (maps as { width?: number; height?: number });
  const W = opts.width ?? first?.width, H = opts.height ?? first?.height;
  if (!Number.isInteger(n) || n < 1) throw new InputError('E_SHAPE', 'Pointing needs an array of maps or an explain() result.');
  if (!Number.isInteger(W) || !Number.isInteger(H)) throw new InputError('E_SHAPE', 'Pointing needs the map width and height.');
  return [n, H as number, W as number];
}

/** Pointing game: does each map's maximum fall in one of its boxes? */
export async function pointingGame(maps: MapsInput, boxes: readonly (readonly Box[])[], opts: PointingOptions = {}): Promise<PointingResult> {
  const [n, H, W] = sizeOf(maps, opts);
  checkBoxes(boxes, n);
  const t = opts.tolerance ?? 'zhang';
  const tol = t === 'zhang' ? (15 * Math.min(H, W)) / 224 : t;
  if (!(tol >= 0)) throw new OptionError(`tolerance must be 'zhang' or a number ≥ 0, got ${String(t)}.`);
  const m = await mapsAt(maps, n, H, W);
  const hits = new Uint8Array(n);
  const points: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let p = 1; p < H * W; p++) if (m[i * H * W + p] > m[i * H * W + best]) best = p;
    const x = best % W, y = Math.floor(best / W);
    points.push([x, y]);
    // distance from the pixel to the box (0 inside); boxes are half-open, pixel x is inside when x0 ≤ x < x1
    hits[i] = boxes[i].some((b) => {
      const dx = Math.max(b.x0 - x, x - (b.x1 - 1), 0);
      const dy = Math.max(b.y0 - y, y - (b.y1 - 1), 0);
      return Math.hypot(dx, dy) <= tol;
    }) ? 1 : 0;
  }
  let s = 0;
  for (const h of hits) s += h;
  return { accuracy: s / n, tolerance: tol, hits, points };
}

/** Energy-based pointing game: share of each map's total value inside the union of its boxes. */
export async function energyPointingGame(maps: MapsInput, boxes: readonly (readonly Box[])[], opts: Omit<PointingOptions, 'tolerance'> = {}): Promise<EnergyResult> {
  const [n, H, W] = sizeOf(maps, opts);
  checkBoxes(boxes, n);
  const m = await mapsAt(maps, n, H, W);
  const perMap = new Float32Array(n);
  const inside = new Uint8Array(H * W);
  for (let i = 0; i < n; i++) {
    inside.fill(0);
    for (const b of boxes[i])
      for (let y = Math.max(0, Math.floor(b.y0)); y < Math.min(H, Math.ceil(b.y1)); y++)
        for (let x = Math.max(0, Math.floor(b.x0)); x < Math.min(W, Math.ceil(b.x1)); x++) inside[y * W + x] = 1;
    let tot = 0, inn = 0;
    for (let p = 0; p < H * W; p++) {
      const v = Math.max(0, m[i * H * W + p]);
      tot += v;
      if (inside[p]) inn += v;
    }
    perMap[i] = tot > 0 ? inn / tot : 0;
  }
  let s = 0;
  for (const v of perMap) s += v;
  return { energy: s / n, perMap };
}
