// Map + image → RGBA through the colormap / overlay kernels. One arena plan per call: the map, its
// resized copy, the resize scratch, the image, the output and the LUT; the result is copied out.
import { InputError, NameError, OptionError } from '../errors.js';
import { OVERLAY_MODES } from '../kernels/overlay.js';
import { getRuntime, runtimeSync, type Runtime } from '../runtime/init.js';
import { colormapLut, type ColormapName } from './colormaps.js';
import type { CamMap, RGBAImage } from './types.js';

export interface HeatmapOptions {
  /** Default 'jet' (pytorch-grad-cam's show_cam_on_image look). */
  colormap?: ColormapName;
  /** Colour (value)^gamma instead of value; 2 gives torchcam's mask² look. Default 1. */
  gamma?: number;
  /** Bilinear resize with align_corners (default false: half-pixel centres, as cv2.resize). */
  alignCorners?: boolean;
}

export interface OverlayOptions extends HeatmapOptions {
  /** Heatmap weight in [0, 1]. Default 0.5. */
  opacity?: number;
  /**
   * 'alpha' (default): plain blend, image alpha kept. 'show_cam_on_image': pytorch-grad-cam's
   * heatmap·opacity + image·(1 − opacity), then divided by its maximum (re-brightened), alpha 255.
   */
  style?: keyof typeof OVERLAY_MODES;
}

/** ImageData-compatible RGBA output. */
export interface RGBAOutput {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

const MAX_SIDE = 16384;

function checkSize(what: string, w: number, h: number): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0 || w > MAX_SIDE || h > MAX_SIDE) {
    throw new InputError('E_SHAPE', `${what} size must be integers in [1, ${MAX_SIDE}], got ${w}×${h}.`);
  }
  if (w === 0 || h === 0) throw new InputError('E_EMPTY', `${what} is empty (${w}×${h}).`);
}

function checkMap(map: CamMap): void {
  checkSize('map', map?.width, map?.height);
  if (!(map.values instanceof Float32Array) || map.values.length !== map.width * map.height) {
    throw new InputError('E_SHAPE', `map.values must be a Float32Array of width·height = ${map.width * map.height} values, got ${map.values?.length}.`);
  }
}

function checkOpts(o: OverlayOptions): void {
  const op = o.opacity ?? 0.5;
  if (!(op >= 0 && op <= 1)) throw new OptionError(`opacity must be in [0, 1], got ${op}.`);
  if (o.style !== undefined && !(o.style in OVERLAY_MODES)) throw new NameError('overlay style', String(o.style), Object.keys(OVERLAY_MODES));
}

/** Resizes (when needed) and returns the map view at w×h inside an arena plan. */
function planMap(rt: Runtime, map: CamMap, w: number, h: number, u8: number[], align: boolean) {
  const same = map.width === w && map.height === h;
  const f32 = same ? [w * h] : [map.width * map.height, w * h, map.height * w];
  const views = rt.arena.take(f32, u8);
  let m = views.f[0];
  m.set(map.values);
  if (!same) {
    rt.kernels.resize_bilinear(views.f[1], m, views.f[2], 1, map.height, map.width, h, w, align ? 1 : 0);
    m = views.f[1];
  }
  return { m, u: views.u };
}

/** Overlays `map` on `image` (the map is resized bilinearly to the image). Needs init() done. */
export function renderOverlaySync(map: CamMap, image: RGBAImage, opts: OverlayOptions = {}, rt: Runtime = runtimeSync()): RGBAOutput {
  checkMap(map);
  checkSize('image', image?.width, image?.height);
  const n = image.width * image.height;
  if (!image.data || image.data.length !== n * 4) throw new InputError('E_SHAPE', `image.data must hold width·height·4 = ${n * 4} bytes, got ${image.data?.length}.`);
  checkOpts(opts);
  const lutData = colormapLut(opts.colormap ?? 'jet', opts.gamma ?? 1);
  const { m, u: [out, img, lut] } = planMap(rt, map, image.width, image.height, [n * 4, n * 4, 1024], !!opts.alignCorners);
  img.set(image.data);
  lut.set(lutData);
  rt.kernels.overlay(out, m, img, n, lut, opts.opacity ?? 0.5, OVERLAY_MODES[opts.style ?? 'alpha']);
  return { width: image.width, height: image.height, data: new Uint8ClampedArray(out) };
}

/** Overlays `map` on `image`, initialising the kernels first when needed. */
export async function renderOverlay(map: CamMap, image: RGBAImage, opts: OverlayOptions = {}): Promise<RGBAOutput> {
  return renderOverlaySync(map, image, opts, await getRuntime());
}

/** The colour-mapped map alone (alpha 255), optionally resized to width × height. Needs init() done. */
export function renderHeatmapSync(map: CamMap, opts: HeatmapOptions & { width?: number; height?: number } = {}, rt: Runtime = runtimeSync()): RGBAOutput {
  checkMap(map);
  const w = opts.width ?? map.width, h = opts.height ?? map.height;
  checkSize('output', w, h);
  const lutData = colormapLut(opts.colormap ?? 'jet', opts.gamma ?? 1);
  const { m, u: [out, lut] } = planMap(rt, map, w, h, [w * h * 4, 1024], !!opts.alignCorners);
  lut.set(lutData);
  rt.kernels.colormap(out, m, w * h, lut);
  return { width: w, height: h, data: new Uint8ClampedArray(out) };
}

export async function renderHeatmap(map: CamMap, opts: HeatmapOptions & { width?: number; height?: number } = {}): Promise<RGBAOutput> {
  return renderHeatmapSync(map, opts, await getRuntime());
}
