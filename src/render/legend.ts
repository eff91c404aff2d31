// A horizontal colour bar with tick marks at 0 … 1, as RGBA pixels or drawn (with labels) on a canvas.
import { InputError, OptionError } from '../errors.js';
import { colormap } from '../kernels/colormap.js';
import { colormapLut, type ColormapName } from './colormaps.js';
import { toImageData } from './canvas.js';
import type { RGBAOutput } from './overlay.js';

export interface LegendOptions {
  colormap?: ColormapName;
  gamma?: number;
  width?: number;
  /** Total height in pixels, bar plus tick marks. */
  height?: number;
  /** Tick values in [0, 1]; default 0, 0.25, 0.5, 0.75, 1. */
  ticks?: number[];
  /** Tick mark length in pixels (below the bar). Default height / 4. */
  tickLength?: number;
  tickColor?: [number, number, number, number];
}

/** Legend pixels: the bar on top, ticks below on a transparent background. */
export function legend(opts: LegendOptions = {}): RGBAOutput {
  const w = opts.width ?? 256, h = opts.height ?? 20;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 2 || h < 2 || w > 16384 || h > 4096) {
    throw new OptionError(`legend size must be integers ≥ 2, got ${w}×${h}.`);
  }
  const ticks = opts.ticks ?? [0, 0.25, 0.5, 0.75, 1];
  if (ticks.some((t) => !(t >= 0 && t <= 1))) throw new OptionError(`ticks must lie in [0, 1], got ${ticks.join(', ')}.`);
  const tl = Math.min(h - 1, opts.tickLength ?? Math.max(1, Math.round(h / 4)));
  const barH = h - tl;
  const lut = colormapLut(opts.colormap ?? 'jet', opts.gamma ?? 1);
  // Column x shows value x/(w−1), so the first and last columns are exactly 0 and 1.
  const ramp = Float32Array.from({ length: w }, (_, x) => x / (w - 1));
  const row = new Uint8Array(w * 4);
  colormap(row, ramp, w, lut); // 256-odd pixels: the TypeScript twin needs no runtime or init()
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < barH; y++) data.set(row, y * w * 4);
  const tc = opts.tickColor ?? [0, 0, 0, 255];
  for (const t of ticks) {
    const x = Math.round(t * (w - 1));
    for (let y = 0; y < h; y++) {
      // Ticks run the full tick length below the bar and a quarter into it, so they read on any colour.
      if (y < barH - Math.ceil(barH / 4)) continue;
      data.set(tc, (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}

/** Draws the legend on a canvas with numeric labels under the ticks; the canvas grows to fit them. */
export function drawLegend(canvas: HTMLCanvasElement | OffscreenCanvas, opts: LegendOptions & { font?: string; labelColor?: string } = {}): void {
  const px = legend(opts);
  const labelH = 14;
  canvas.width = px.width;
  canvas.height = px.height + labelH;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | null;
  if (!ctx) throw new InputError('E_SHAPE', 'This canvas has no 2D context.');
  ctx.putImageData(toImageData(px), 0, 0);
  ctx.font = opts.font ?? '11px sans-serif';
  ctx.fillStyle = opts.labelColor ?? '#000';
  ctx.textBaseline = 'top';
  for (const t of opts.ticks ?? [0, 0.25, 0.5, 0.75, 1]) {
    const x = Math.round(t * (px.width - 1));
    ctx.textAlign = t === 0 ? 'left' : t === 1 ? 'right' : 'center';
    ctx.fillText(String(t), x, px.height + 1);
  }
}
