// What `camkit explain` runs on: files, folders (--recursive) and globs → one ordered list of images,
// each with a stable key (for --shard) and a unique output stem; then the shard's share of it.
//
// Key: the image's path relative to the argument that found it, with '/' separators: a folder
// argument's images are keyed below the folder, a glob's below its static base (the folders before
// the first wildcard), a file argument by its base name. So the same dataset gives the same keys on
// every machine, wherever it is mounted.
// Shard: image k belongs to shard 1 + (the first 4 bytes of SHA-256(key), big-endian) mod N. An
// image's shard depends on its key alone: adding or removing files never moves the others.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { FileError } from '../errors.js';
import { UsageError } from './args.js';
import { IMAGE_EXTENSIONS } from './decode.js';

export interface InputImage {
  /** Position in the whole input list (the same in every shard). */
  index: number;
  /** The path as found (the argument, or the argument joined with the path below it). */
  path: string;
  abs: string;
  key: string;
  /** Output file stem: the base name (sanitised), with -2, -3… for repeats, in list order. */
  stem: string;
}

const isImageName = (f: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase());
const posix = (p: string) => p.split(sep).join('/');

/** Inside `dir` (or equal to it). */
function within(p: string, dir: string): boolean {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

function walk(dir: string, recursive: boolean, skip: (abs: string) => boolean, out: string[], rel = ''): void {
  const entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // hidden files and folders (.git, camkit's own .camkit)
    const r = rel ? join(rel, e.name) : e.name;
    const abs = join(dir, r);
    if (skip(abs)) continue;
    let isDir = e.isDirectory(), isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const s = statSync(abs);
        isDir = s.isDirectory();
        isFile = s.isFile();
      } catch {
        continue; // a dangling link
      }
    }
    if (isDir && recursive) walk(dir, recursive, skip, out, r);
    else if (isFile && isImageName(e.name)) out.push(r);
  }
}

/** The folders of a glob before its first wildcard segment. */
function globBase(pattern: string): string {
  const parts = pattern.split(/[\\/]/);
  const fixed: string[] = [];
  for (const p of parts) {
    if (isDynamicPattern(p)) break;
    fixed.push(p);
  }
  if (fixed.length === parts.length) fixed.pop();
  return fixed.join('/') || '.';
}

/**
 * Expands the arguments in order (a folder's or glob's images sorted by key); the same file twice counts
 * once. `exclude` (the output folder) is never read as input.
 */
export async function expandInputs(args: readonly string[], opts: { recursive?: boolean; exclude?: string } = {}): Promise<InputImage[]> {
  const found: Array<{ path: string; abs: string; key: string }> = [];
  const exclude = opts.exclude ? resolve(opts.exclude) : null;
  const skip = (abs: string) => exclude !== null && within(abs, exclude);
  for (const arg of args) {
    let st: ReturnType<typeof statSync> | null;
    try {
      st = statSync(arg);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) {
      const rels: string[] = [];
      walk(arg, !!opts.recursive, skip, rels);
      if (!rels.length) throw new FileError('E_FILE', `No images in ${arg}${opts.recursive ? '' : ' (add --recursive to look in its subfolders)'}: camkit reads ${IMAGE_EXTENSIONS.join(' ')} files.`);
      for (const r of rels.map(posix).sort()) found.push({ path: join(arg, r), abs: resolve(arg, r), key: r });
    } else if (st) {
      found.push({ path: arg, abs: resolve(arg), key: basename(arg) });
    } else if (isDynamicPattern(arg)) {
      const base = globBase(arg);
      const hits = (await glob(arg, { onlyFiles: true, dot: false, expandDirectories: false, absolute: false })).filter((f) => isImageName(f) && !skip(resolve(f)));
      if (!hits.length) throw new FileError('E_FILE', `No images match ${arg}.`);
      const keyed = hits.map((f) => ({ path: f, abs: resolve(f), key: posix(relative(base, f)) }));
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      found.push(...keyed);
    } else {
      throw new FileError('E_FILE', `No such file: ${arg}`);
    }
  }
  const seen = new Set<string>();
  const stems = new Map<string, number>();
  const out: InputImage[] = [];
  for (const f of found) {
    if (seen.has(f.abs)) continue;
    seen.add(f.abs);
    const b = basename(f.abs, extname(f.abs)).replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'image';
    const k = (stems.get(b) ?? 0) + 1;
    stems.set(b, k);
    out.push({ index: out.length, path: f.path, abs: f.abs, key: f.key, stem: k === 1 ? b : `${b}-${k}` });
  }
  return out;
}

export interface Shard {
  index: number; // 1-based
  count: number;
}

/** `I/N` with 1 ≤ I ≤ N. */
export function parseShard(v: string | undefined): Shard | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n || n > 1_000_000) throw new UsageError(`--shard must be I/N with 1 ≤ I ≤ N (e.g. 2/8), got '${v}'.`);
  return { index: i, count: n };
}

/** The 1-based shard an image key belongs to among `count`. */
export function shardOf(key: string, count: number): number {
  const h = createHash('sha256').update(key, 'utf8').digest();
  return 1 + (h.readUInt32BE(0) % count);
}

export function selectShard(images: readonly InputImage[], shard: Shard | null): InputImage[] {
  return shard ? images.filter((im) => shardOf(im.key, shard.count) === shard.index) : [...images];
}

/** For messages: a path relative to the current folder when that is shorter. */
export function shown(abs: string): string {
  const r = relative(process.cwd(), abs);
  return r && !r.startsWith('..') ? r : abs;
}

