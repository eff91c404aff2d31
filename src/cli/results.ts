// What `camkit explain` leaves in its output folder besides the images, and how it is written.
//   .camkit/<stem>.json   one record per image: its settings and one entry per method (the ledger that
//                         re-runs, shards and `camkit merge` read; written last, after the image's files)
//   results.json          {"results":[entry…]}: the --json schema, one entry per image × method
//   results.csv           the same rows as CSV
//   index.html, index-2.html, …   the gallery, paged
// Every file is written under a temporary name and renamed, in one synchronous step per image, so an
// interruption (Ctrl-C, an error in another image) never leaves a partial file.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { galleryPages, type GalleryItem } from './gallery.js';
import type { Entry, JobOutput, JobSettings } from './job.js';

export const LEDGER_DIR = '.camkit';
export const RECORD_FORMAT = 'camkit-record/1';

export interface ImageRecord {
  format: typeof RECORD_FORMAT;
  /** Position in the run's whole input list (orders merged shards like one run). */
  index: number;
  key: string;
  /** Absolute path of the image. */
  image: string;
  stem: string;
  input: string;
  settings: JobSettings;
  entries: Entry[];
}

/** JSON with sorted keys, so equal settings compare equal as text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const recordPath = (out: string, stem: string) => join(out, LEDGER_DIR, `${stem}.json`);

export function readRecord(out: string, stem: string): ImageRecord | null {
  try {
    const r = JSON.parse(readFileSync(recordPath(out, stem), 'utf8')) as ImageRecord;
    return r && r.format === RECORD_FORMAT && Array.isArray(r.entries) ? r : null;
  } catch {
    return null;
  }
}

/** Every record in a folder's ledger. */
export function readRecords(out: string): ImageRecord[] {
  const dir = join(out, LEDGER_DIR);
  if (!existsSync(dir)) return [];
  const recs: ImageRecord[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue;
    const r = readRecord(out, f.slice(0, -5));
    if (r) recs.push(r);
  }
  return recs;
}

/**
 * The methods still to do for an image: all of them unless a record of the same image (key and path)
 * with the same settings lists the method and its files exist.
 */
export function methodsToDo(out: string, rec: ImageRecord | null, settings: JobSettings, methods: readonly string[], key: string, image: string): string[] {
  if (!rec || rec.key !== key || rec.image !== image || canonical(rec.settings) !== canonical(settings) || !existsSync(join(out, rec.input))) return [...methods];
  return methods.filter((m) => {
    const e = rec.entries.find((x) => x.method === m);
    return !e || !Object.values(e.files).every((f) => existsSync(join(out, f)));
  });
}

let tmpSeq = 0;
const tmpName = (out: string, name: string) => join(out, `.${name}.tmp-${process.pid}-${++tmpSeq}`);

/** Writes a file under a temporary name, then renames it (synchronous). */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tmpName(dirname(path), basename(path));
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Commits one image: its files, then its record (merged with the entries of methods kept from before).
 * Synchronous from first write to last rename: a signal handler cannot run in between.
 */
export function commitImage(out: string, o: JobOutput, base: Omit<ImageRecord, 'entries' | 'format' | 'input'>, kept: ImageRecord | null, methods: readonly string[]): ImageRecord {
  mkdirSync(join(out, LEDGER_DIR), { recursive: true });
  const tmps: Array<[string, string]> = [];
  try {
    for (const f of o.files) {
      const t = tmpName(out, f.name);
      writeFileSync(t, f.data);
      tmps.push([t, join(out, f.name)]);
    }
    const done = new Set(o.entries.map((e) => e.method));
    const old = kept && canonical(kept.settings) === canonical(base.settings) ? kept.entries.filter((e) => !done.has(e.method)) : [];
    const all = [...old, ...o.entries];
    const entries = methods.map((m) => all.find((e) => e.method === m)).filter((e): e is Entry => !!e);
    for (const e of all) if (!methods.includes(e.method)) entries.push(e); // methods of earlier runs stay listed
    const rec: ImageRecord = { format: RECORD_FORMAT, ...base, input: o.input, entries };
    const t = tmpName(join(out, LEDGER_DIR), `${o.stem}.json`);
    writeFileSync(t, JSON.stringify(rec));
    tmps.push([t, recordPath(out, o.stem)]);
    for (const [from, to] of tmps) renameSync(from, to);
    return rec;
  } catch (e) {
    for (const [t] of tmps) rmSync(t, { force: true });
    throw e;
  }
}

export interface ResultEntry {
  image: string;
  method: string;
  target: number;
  class: string | null;
  score: number;
  width: number;
  height: number;
  files: { overlay: string; map_json: string; map_png: string };
  ms: number;
}

const slash = (p: string) => p.split(sep).join('/');

/** A path for results: relative to `base` (with '/'), or absolute when it is on another drive. */
export function relTo(base: string, abs: string): string {
  const r = relative(base, abs);
  return isAbsolute(r) ? abs : slash(r) || '.';
}

/**
 * The results entries of records found in `dir`, for `methods` (all of a record's when null), with
 * paths relative to `base`.
 */
export function toEntries(recs: ReadonlyArray<{ rec: ImageRecord; dir: string }>, base: string, methods: readonly string[] | null): ResultEntry[] {
  const out: ResultEntry[] = [];
  for (const { rec, dir } of recs) {
    const list = methods ? methods.map((m) => rec.entries.find((e) => e.method === m)).filter((e): e is Entry => !!e) : rec.entries;
    for (const e of list) {
      const f = (n: string) => relTo(base, join(dir, n));
      out.push({
        image: relTo(base, rec.image),
        method: e.method,
        target: e.target,
        class: e.class,
        score: e.score,
        width: e.width,
        height: e.height,
        files: { overlay: f(e.files.overlay), map_json: f(e.files.map_json), map_png: f(e.files.map_png) },
        ms: e.ms,
      });
    }
  }
  return out;
}

const CSV_COLUMNS = ['image', 'method', 'target', 'class', 'score', 'width', 'height', 'overlay', 'map_json', 'map_png', 'ms'] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function resultsCsv(entries: readonly ResultEntry[]): string {
  const rows = entries.map((e) => [e.image, e.method, e.target, e.class, e.score, e.width, e.height, e.files.overlay, e.files.map_json, e.files.map_png, e.ms].map(csvCell).join(','));
  return `${CSV_COLUMNS.join(',')}\r\n${rows.map((r) => `${r}\r\n`).join('')}`;
}

/** Gallery rows from records (paths relative to the folder the pages are written to). */
export function galleryItems(recs: ReadonlyArray<{ rec: ImageRecord; dir: string }>, base: string, methods: readonly string[] | null): GalleryItem[] {
  return recs.map(({ rec, dir }) => {
    const list = methods ? methods.map((m) => rec.entries.find((e) => e.method === m)).filter((e): e is Entry => !!e) : rec.entries;
    const f = (n: string) => relTo(base, join(dir, n));
    return {
      image: relTo(base, rec.image),
      input: f(rec.input),
      cells: list.map((e) => ({ method: e.method, overlay: f(e.files.overlay), mapJson: f(e.files.map_json), mapPng: f(e.files.map_png), className: e.class ?? String(e.target), target: e.target, score: e.score, ms: e.ms })),
    };
  });
}

export interface ResultsInfo {
  model: string;
  backend: string;
  colormap: string;
  pageSize: number;
}

/** results.json, results.csv and the gallery pages into `out` (old pages beyond the new count are removed). */
export function writeResults(out: string, entries: readonly ResultEntry[], items: readonly GalleryItem[], info: ResultsInfo): string[] {
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, 'results.json'), JSON.stringify({ results: entries }, null, 1) + '\n');
  writeAtomic(join(out, 'results.csv'), resultsCsv(entries));
  const pages = galleryPages(items, info, info.pageSize);
  for (const p of pages) writeAtomic(join(out, p.name), p.html);
  const keep = new Set(pages.map((p) => p.name));
  for (const f of readdirSync(out)) if (/^index-\d+\.html$/.test(f) && !keep.has(f)) rmSync(join(out, f), { force: true });
  return pages.map((p) => p.name);
}
