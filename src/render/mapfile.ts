// Map files: JSON {"format":"camkit-map/1","width","height","values"} (the final map in [0,1], row-major)
// and grayscale PNG (16-bit: round(value·65535); 8-bit: round(value·255)). Both are written and read here.
import { FileError, InputError } from '../errors.js';
import { decodePng, encodePng, isPng } from './png.js';
import type { CamMap } from './types.js';

export const MAP_FORMAT = 'camkit-map/1';

export interface MapJson {
  format: typeof MAP_FORMAT;
  width: number;
  height: number;
  values: number[];
}

function validate(map: CamMap, Err: typeof InputError | typeof FileError, code: 'E_SHAPE' | 'E_FILE'): CamMap {
  const { width: w, height: h, values } = map;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w * h > 1 << 26) {
    throw new Err(code, `A camkit map needs integer width and height ≥ 1, got ${w}×${h}.`);
  }
  if (!values || values.length !== w * h) throw new Err(code, `A ${w}×${h} map needs ${w * h} values, got ${values?.length}.`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v <= 1)) throw new Err(code === 'E_FILE' ? 'E_FILE' : 'E_NONFINITE', `Map value ${i} is ${v}; camkit maps hold final values in [0, 1].`);
  }
  return map;
}

/** The shortest decimal that reads back as the same float32 (keeps files small and exact). */
function shortF32(v: number): number {
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return Number(v.toPrecision(9));
}

/** The JSON object of a map; every value reads back as the identical float32. */
export function mapToJson(map: CamMap): MapJson {
  validate(map, InputError, 'E_SHAPE');
  return { format: MAP_FORMAT, width: map.width, height: map.height, values: Array.from(map.values, shortF32) };
}

/** Parses a camkit-map/1 JSON text or already-parsed object. */
export function parseMapJson(input: string | MapJson | Record<string, unknown>): CamMap {
  let o: Record<string, unknown>;
  try {
    o = typeof input === 'string' ? JSON.parse(input) : (input as Record<string, unknown>);
  } catch (cause) {
    throw new FileError('E_FILE', `Map JSON does not parse: ${(cause as Error).message}`, { cause });
  }
  if (!o || o.format !== MAP_FORMAT) throw new FileError('E_FILE', `Not a camkit map: expected "format": "${MAP_FORMAT}", got ${JSON.stringify(o?.format)}.`);
  if (!Array.isArray(o.values) && !(o.values instanceof Float32Array)) throw new FileError('E_FILE', 'Map JSON has no "values" array.');
  return validate({ width: o.width as number, height: o.height as number, values: Float32Array.from(o.values as number[]) }, FileError, 'E_FILE');
}

/** A grayscale PNG of the map: 16-bit by default (no visible banding, 1/65535 steps). */
export async function encodeMapPng(map: CamMap, opts: { bitDepth?: 8 | 16 } = {}): Promise<Uint8Array> {
  validate(map, InputError, 'E_SHAPE');
  const bitDepth = opts.bitDepth ?? 16;
  const scale = bitDepth === 16 ? 65535 : 255;
  const data = bitDepth === 16 ? new Uint16Array(map.values.length) : new Uint8Array(map.values.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(map.values[i] * scale);
  return encodePng({ width: map.width, height: map.height, color: 'gray', bitDepth, data });
}

/** Reads a grayscale PNG map (gray or gray-alpha; RGB only when every pixel is gray). */
export async function decodeMapPng(bytes: Uint8Array): Promise<CamMap> {
  const png = await decodePng(bytes);
  const ch = { gray: 1, 'gray-alpha': 2, rgb: 3, rgba: 4 }[png.color];
  const n = png.width * png.height;
  const scale = png.bitDepth === 16 ? 65535 : 255;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = png.data[i * ch];
    if (ch >= 3 && (png.data[i * ch + 1] !== v || png.data[i * ch + 2] !== v)) {
      throw new FileError('E_FILE', `PNG map pixel ${i} is not gray; camkit reads maps from grayscale PNGs.`);
    }
    values[i] = v / scale;
  }
  return { width: png.width, height: png.height, values };
}

/** Reads either map format from bytes (PNG by signature, else UTF-8 JSON). */
export async function readMap(bytes: Uint8Array): Promise<CamMap> {
  if (isPng(bytes)) return decodeMapPng(bytes);
  return parseMapJson(new TextDecoder().decode(bytes));
}

/** Fetches a map (http(s), relative or data: URL) and reads it. */
export async function loadMap(url: string, init?: RequestInit): Promise<CamMap> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (cause) {
    throw new FileError('E_FILE', `Could not fetch the map ${short(url)}: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  if (!res.ok) throw new FileError('E_FILE', `Could not fetch the map ${short(url)}: HTTP ${res.status}.`);
  return readMap(new Uint8Array(await res.arrayBuffer()));
}

const short = (u: string) => (u.length > 80 ? `${u.slice(0, 77)}…` : u);
