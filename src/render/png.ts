// camkit's own PNG writer and reader: RGBA8, and 8/16-bit grayscale for maps (a canvas would cut a
// 16-bit PNG to 8 bits). Compression is zlib: node:zlib in Node, imported lazily so browser bundles
// never load it, else CompressionStream / DecompressionStream('deflate') (browsers, Deno, workers).
import { FileError, InputError, NameError, OptionError } from '../errors.js';

export type PngColor = 'gray' | 'rgb' | 'gray-alpha' | 'rgba';
const COLOR_TYPE: Record<PngColor, number> = { gray: 0, rgb: 2, 'gray-alpha': 4, rgba: 6 };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export interface PngImage {
  width: number;
  height: number;
  color: PngColor;
  bitDepth: 8 | 16;
  /** Samples row-major, channels interleaved: Uint8Array for 8-bit, Uint16Array for 16-bit. */
  data: Uint8Array | Uint16Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
let crcTable: Uint32Array | null = null;

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;
// A variable specifier keeps bundlers from resolving node:zlib for browser builds.
const ZLIB = 'node:zlib';
type Zlib = { deflateSync(b: Uint8Array): Uint8Array; inflateSync(b: Uint8Array, o?: { maxOutputLength?: number }): Uint8Array };

async function viaStream(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  if (isNode()) return new Uint8Array(((await import(/* @vite-ignore */ ZLIB)) as Zlib).deflateSync(bytes));
  return viaStream(bytes, new CompressionStream('deflate'));
}

/** Inflates at most `max` bytes: a small IDAT can expand to gigabytes (a zlib bomb), so stop early. */
async function inflate(bytes: Uint8Array, max: number): Promise<Uint8Array> {
  try {
    if (isNode()) return new Uint8Array(((await import(/* @vite-ignore */ ZLIB)) as Zlib).inflateSync(bytes, { maxOutputLength: max }));
    const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate')).getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel();
        throw new Error(`more than the ${max} bytes the header allows`);
      }
      parts.push(value);
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  } catch (cause) {
    throw new FileError('E_FILE', `PNG image data is corrupt or truncated (zlib: ${(cause as Error)?.message ?? cause}).`, { cause });
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes samples as a PNG (filter 0 on every row: maps and overlays are small; size is not the goal). */
export async function encodePng(img: PngImage): Promise<Uint8Array> {
  const { width: w, height: h, bitDepth } = img;
  const ch = CHANNELS[COLOR_TYPE[img.color]];
  if (!ch) throw new NameError('PNG colour', String(img.color), Object.keys(COLOR_TYPE));
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) throw new InputError('E_EMPTY', `PNG size must be ≥ 1×1, got ${w}×${h}.`);
  if (bitDepth !== 8 && bitDepth !== 16) throw new OptionError(`bitDepth must be 8 or 16, got ${bitDepth}.`);
  if (img.data.length !== w * h * ch) throw new InputError('E_SHAPE', `PNG data must hold ${w * h * ch} samples, got ${img.data.length}.`);
  const bps = bitDepth / 8;
  const stride = w * ch * bps;
  const raw = new Uint8Array(h * (stride + 1));
  for (let y = 0; y < h; y++) {
    const o = y * (stride + 1) + 1;
    for (let i = 0; i < w * ch; i++) {
      const v = img.data[y * w * ch + i];
      if (bps === 1) raw[o + i] = v;
      else {
        raw[o + 2 * i] = v >>> 8; // PNG samples are big-endian
        raw[o + 2 * i + 1] = v & 255;
      }
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([bitDepth, COLOR_TYPE[img.color], 0, 0, 0], 8);
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', await deflate(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Decodes a non-interlaced gray / RGB / gray-alpha / RGBA PNG of bit depth 8 or 16. */
export async function decodePng(bytes: Uint8Array): Promise<PngImage> {
  if (!isPng(bytes)) throw new FileError('E_FILE', 'Not a PNG file (bad signature).');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 8;
  let w = 0, h = 0, depth = 0, ct = -1, sawEnd = false;
  const idat: Uint8Array[] = [];
  while (off + 12 <= bytes.length) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    if (off + 12 + len > bytes.length) throw new FileError('E_FILE', `PNG chunk ${type} is truncated.`);
    const body = bytes.subarray(off + 8, off + 8 + len);
    if (crc32(bytes.subarray(off + 4, off + 8 + len)) !== dv.getUint32(off + 8 + len)) throw new FileError('E_FILE', `PNG chunk ${type} has a bad CRC.`);
    if (type === 'IHDR') {
      w = dv.getUint32(off + 8);
      h = dv.getUint32(off + 12);
      depth = body[8];
      ct = body[9];
      if (body[12] !== 0) throw new FileError('E_FILE', 'Interlaced PNGs are not supported; save the map without interlacing.');
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    off += 12 + len;
  }
  if (!sawEnd || !idat.length || !w || !h) throw new FileError('E_FILE', 'PNG is truncated or has no image data.');
  const ch = CHANNELS[ct];
  if (!ch || (depth !== 8 && depth !== 16)) throw new FileError('E_FILE', `Unsupported PNG: colour type ${ct}, bit depth ${depth} (camkit reads gray, RGB, gray-alpha and RGBA at 8 or 16 bits).`);
  if (w * h > 1 << 26) throw new FileError('E_FILE', `PNG is too large (${w}×${h}).`);
  const z = new Uint8Array(idat.reduce((n, b) => n + b.length, 0));
  let zo = 0;
  for (const b of idat) {
    z.set(b, zo);
    zo += b.length;
  }
  const bpp = ch * (depth / 8);
  const stride = w * bpp;
  const raw = await inflate(z, h * (stride + 1));
  if (raw.length < h * (stride + 1)) throw new FileError('E_FILE', 'PNG image data is shorter than its header says.');
  const px = new Uint8Array(h * stride);
  for (let y = 0; y < h; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = px.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let p: number;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new FileError('E_FILE', `PNG row ${y} has an unknown filter type ${filter}.`);
      }
      cur[i] = (src[i] + p) & 255;
    }
  }
  const color = (Object.keys(COLOR_TYPE) as PngColor[]).find((k) => COLOR_TYPE[k] === ct)!;
  if (depth === 8) return { width: w, height: h, color, bitDepth: 8, data: px };
  const d16 = new Uint16Array(w * h * ch);
  for (let i = 0; i < d16.length; i++) d16[i] = (px[2 * i] << 8) | px[2 * i + 1];
  return { width: w, height: h, color, bitDepth: 16, data: d16 };
}
