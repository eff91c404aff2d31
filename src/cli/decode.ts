// Image files → RGBA8 for the CLI (Node only; the core never imports this). Formats are told by their
// signature, not their extension. PNG: pngjs; JPEG: jpeg-js; GIF: omggif (first frame); BMP: bmp-ts;
// WebP: @jsquash/webp (libwebp compiled to wasm, instantiated from its file, no network).
import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import omggif from 'omggif';
import { decode as decodeBmp } from 'bmp-ts';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import { FileError } from '../errors.js';
import type { RGBAImage } from '../render/types.js';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'gif', 'bmp', 'webp'];
/** File name endings `camkit explain` picks up in folders and globs. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.webp'] as const;

/** Largest image the CLI decodes (the same pixel limit as camkit's own PNG reader). */
export const MAX_IMAGE_PIXELS = 1 << 26;

const FORMAT_NAMES: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', gif: 'GIF', bmp: 'BMP', webp: 'WebP' };
const FORMAT_LIST = 'PNG, JPEG, GIF, BMP and WebP';

export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  return null;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}

const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

/** Width and height from the header where it is at a fixed place (PNG, GIF, BMP, WebP), else null. */
function headerSize(f: ImageFormat, b: Uint8Array): [number, number] | null {
  if (f === 'png' && b.length >= 24) return [u32be(b, 16), u32be(b, 20)];
  if (f === 'gif' && b.length >= 10) return [u16le(b, 6), u16le(b, 8)];
  if (f === 'bmp' && b.length >= 26) return [Math.abs(i32le(b, 18)), Math.abs(i32le(b, 22))];
  if (f === 'webp' && b.length >= 30) {
    const chunk = ascii(b, 12, 4);
    if (chunk === 'VP8X') return [1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16))];
    if (chunk === 'VP8L') {
      const v = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return [1 + (v & 0x3fff), 1 + ((v >>> 14) & 0x3fff)];
    }
    if (chunk === 'VP8 ') return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  }
  return null;
}

function tooLarge(path: string, w: number, h: number): FileError {
  return new FileError('E_FILE', `${path} is too large (${w}×${h}); camkit reads images up to ${MAX_IMAGE_PIXELS / 2 ** 20} megapixels.`);
}

function readErr(path: string, e: unknown): FileError {
  const code = (e as NodeJS.ErrnoException).code;
  return new FileError('E_FILE', code === 'ENOENT' ? `No such file: ${path}` : code === 'EISDIR' ? `${path} is a directory, not an image` : `Cannot read ${path} (${code ?? (e as Error).message})`);
}

/**
 * Cheap check before any work: the file exists, its signature is a format camkit reads, and its header
 * does not claim more than MAX_IMAGE_PIXELS. Reads the first 64 bytes only.
 */
export function checkImageFile(path: string): ImageFormat {
  let head: Uint8Array;
  try {
    const fd = openSync(path, 'r');
    try {
      head = new Uint8Array(64);
      head = head.subarray(0, readSync(fd, head, 0, 64, 0));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw readErr(path, e);
  }
  const f = sniffFormat(head);
  if (!f) throw new FileError('E_FILE', `Unsupported image format: ${path} (camkit reads ${FORMAT_LIST})`);
  const s = headerSize(f, head);
  if (s && s[0] * s[1] > MAX_IMAGE_PIXELS) throw tooLarge(path, s[0], s[1]);
  return f;
}

type Decoded = { width: number; height: number; data: Uint8ClampedArray };
let webpReady: Promise<void> | null = null;

/** The WebP decoder, instantiated once per thread from the wasm file inside @jsquash/webp (no fetch). */
async function webpDecode(b: ArrayBuffer): Promise<Decoded> {
  webpReady ??= (async () => {
    const file = createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm');
    await initWebp(await WebAssembly.compile(readFileSync(file)));
  })();
  await webpReady;
  return (await decodeWebp(b)) as unknown as Decoded;
}

/** Decodes image bytes (any supported format) to RGBA8. `path` names the file in errors. */
export async function decodeImage(bytes: Uint8Array, path: string): Promise<RGBAImage> {
  const f = sniffFormat(bytes);
  if (!f) throw new FileError('E_FILE', `Unsupported image format: ${path} (camkit reads ${FORMAT_LIST})`);
  // pngjs allocates width·height·4 from the header before inflating: a 350 KB file claiming
  // 30000×30000 took > 10 GB. Refuse oversized headers first (JPEG: jpeg-js's own limit below).
  const s = headerSize(f, bytes);
  if (s && s[0] * s[1] > MAX_IMAGE_PIXELS) throw tooLarge(path, s[0], s[1]);
  let img: RGBAImage;
  try {
    img = await decodeAs(f, bytes);
  } catch (e) {
    throw new FileError('E_FILE', `Cannot decode ${path}: corrupt or unsupported ${FORMAT_NAMES[f]} (${String((e as Error)?.message ?? e).split('\n')[0]})`);
  }
  if (!img.width || !img.height) throw new FileError('E_FILE', `Cannot decode ${path}: the image is empty.`);
  if (img.width * img.height > MAX_IMAGE_PIXELS) throw tooLarge(path, img.width, img.height);
  return img;
}

async function decodeAs(f: ImageFormat, bytes: Uint8Array): Promise<RGBAImage> {
  switch (f) {
    case 'png': {
      const p = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
    }
    case 'jpeg': {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
      if (!j.width || !j.height) throw new Error('empty image');
      return { width: j.width, height: j.height, data: j.data };
    }
    case 'gif': {
      // omggif's first frame composited on transparent black; animations give their first frame
      const g = new omggif.GifReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (g.width * g.height > MAX_IMAGE_PIXELS) throw new Error(`${g.width}×${g.height} is too large`);
      const data = new Uint8Array(g.width * g.height * 4);
      g.decodeAndBlitFrameRGBA(0, data);
      return { width: g.width, height: g.height, data };
    }
    case 'bmp': {
      const b = decodeBmp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { toRGBA: true });
      const data = new Uint8Array(b.data.buffer, b.data.byteOffset, b.width * b.height * 4).slice();
      // Below 32 bits there is no alpha (bmp-ts leaves 0); a 32-bit BMP whose alpha is all 0 does not use it
      let anyAlpha = false;
      if (b.bitPP === 32) for (let i = 3; i < data.length && !anyAlpha; i += 4) anyAlpha = data[i] !== 0;
      if (!anyAlpha) for (let i = 3; i < data.length; i += 4) data[i] = 255;
      return { width: b.width, height: b.height, data };
    }
    case 'webp': {
      const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const d = await webpDecode(ab);
      return { width: d.width, height: d.height, data: new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength) };
    }
  }
}

/** Reads and decodes an image file. */
export async function readImage(path: string): Promise<RGBAImage> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw readErr(path, e);
  }
  return decodeImage(bytes, path);
}
