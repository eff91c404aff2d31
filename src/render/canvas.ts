// DOM glue, touched only when called: nothing here runs at import.
import { InputError } from '../errors.js';
import type { RGBAImage } from './types.js';

/** A real ImageData when the platform has one (browsers, workers), else the same plain shape. */
export function toImageData(rgba: RGBAImage): ImageData {
  const data = rgba.data instanceof Uint8ClampedArray ? rgba.data : new Uint8ClampedArray(rgba.data.buffer, rgba.data.byteOffset, rgba.data.length);
  const ID = (globalThis as { ImageData?: typeof ImageData }).ImageData;
  if (ID) {
    try {
      return new ID(data as Uint8ClampedArray<ArrayBuffer>, rgba.width, rgba.height);
    } catch {
      // happy-dom and some workers reject views; fall through to the plain shape.
    }
  }
  return { width: rgba.width, height: rgba.height, data, colorSpace: 'srgb' } as ImageData;
}

export type Canvas2D = { width: number; height: number; getContext(kind: '2d'): CanvasRenderingContext2D | null };

/** Sizes `canvas` to the pixels and draws them; returns the 2D context. */
export function drawToCanvas(canvas: Canvas2D, rgba: RGBAImage): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new InputError('E_SHAPE', 'This canvas has no 2D context.');
  if (canvas.width !== rgba.width) canvas.width = rgba.width;
  if (canvas.height !== rgba.height) canvas.height = rgba.height;
  ctx.putImageData(toImageData(rgba), 0, 0);
  return ctx;
}

/** Reads an image element, bitmap or canvas into RGBA8 at its natural size (browsers only). */
export function imageToRGBA(source: CanvasImageSource & { naturalWidth?: number; naturalHeight?: number; width?: number; height?: number }): RGBAImage {
  const w = source.naturalWidth || (source.width as number);
  const h = source.naturalHeight || (source.height as number);
  const doc = (globalThis as { document?: Document }).document;
  const canvas: Canvas2D =
    typeof OffscreenCanvas !== 'undefined' ? (new OffscreenCanvas(w, h) as unknown as Canvas2D) : (doc!.createElement('canvas') as Canvas2D);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new InputError('E_SHAPE', 'No 2D canvas context is available to read the image.');
  ctx.drawImage(source, 0, 0, w, h);
  const d = ctx.getImageData(0, 0, w, h);
  return { width: w, height: h, data: d.data };
}
