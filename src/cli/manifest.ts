// The labels (and optional boxes) of `camkit eval --images DIR --labels FILE`.
//   JSON lines: {"image": "a.jpg", "label": 3 | "cat", "boxes": [[x0, y0, x1, y1], …]}  ("box": one box;
//               {"x0","y0","x1","y1"} objects work too; no label: the model's top-1 class is explained)
//   CSV:        a header with `image`, optionally `label` and `x0,y0,x1,y1`; one row per box, rows of the
//               same image add boxes.
// Boxes are in the original image's pixels, x0/y0 inclusive, x1/y1 exclusive (so [0, 0, w, h] is the
// whole image). Image paths are relative to --images (default: the manifest's folder).
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { CamkitError, FileError, NameError } from '../errors.js';
import type { Box } from '../metrics/index.js';

export interface ManifestItem {
  image: string;
  /** The path as written in the manifest (for messages). */
  name: string;
  label: number | 'top1';
  boxes: Box[];
}

function fail(file: string, line: number, msg: string): never {
  throw new FileError('E_FILE', `${file}:${line}: ${msg}`);
}

function toLabel(v: unknown, classes: readonly string[] | null, file: string, line: number): number | 'top1' {
  if (v === undefined || v === null || v === '') return 'top1';
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v.trim()))) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) fail(file, line, `label ${JSON.stringify(v)} is not a class index.`);
    if (classes && n >= classes.length) throw new CamkitError('E_TARGET', `${file}:${line}: label ${n} is out of range: the model has ${classes.length} classes (0–${classes.length - 1}).`);
    return n;
  }
  if (typeof v !== 'string') fail(file, line, `label must be a class index or a class name, got ${JSON.stringify(v)}.`);
  if (!classes) fail(file, line, `label '${v}' is a class name, but the model has no classes.json; use class indices.`);
  const i = classes.findIndex((c) => c.toLowerCase() === v.trim().toLowerCase());
  if (i < 0) throw new NameError('class', v, classes);
  return i;
}

function toBox(v: unknown, file: string, line: number): Box {
  const a = Array.isArray(v) ? v : v && typeof v === 'object' ? [(v as Box).x0, (v as Box).y0, (v as Box).x1, (v as Box).y1] : null;
  if (!a || a.length !== 4 || !a.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(a[2] > a[0] && a[3] > a[1])) {
    fail(file, line, `a box must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1, got ${JSON.stringify(v)}.`);
  }
  return { x0: a[0], y0: a[1], x1: a[2], y1: a[3] };
}

/** RFC 4180 fields of one CSV text (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const rows: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [], cell = '', q = false, line = 1, start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') q = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') q = true;
    else if (c === ',') cells.push(cell), (cell = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.length > 1 || cells[0].trim() !== '') rows.push({ line: start, cells });
      cells = [];
      cell = '';
      start = ++line;
    } else cell += c;
  }
  cells.push(cell);
  if (cells.length > 1 || cells[0].trim() !== '') rows.push({ line: start, cells });
  return rows;
}

export function readManifest(file: string, imagesDir: string | undefined, classes: readonly string[] | null): ManifestItem[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileError('E_FILE', (e as NodeJS.ErrnoException).code === 'ENOENT' ? `No such file: ${file}` : `Cannot read ${file}: ${(e as Error).message}`);
  }
  const base = resolve(imagesDir ?? resolve(file, '..'));
  const items = new Map<string, ManifestItem>();
  const add = (name: string, label: number | 'top1', boxes: Box[], line: number) => {
    if (!name) fail(file, line, 'no image path.');
    const abs = isAbsolute(name) ? name : resolve(base, name);
    const it = items.get(abs);
    if (!it) return void items.set(abs, { image: abs, name, label, boxes });
    if (label !== 'top1' && it.label !== 'top1' && label !== it.label) fail(file, line, `${name} has two labels (${it.label} and ${label}).`);
    if (it.label === 'top1') it.label = label;
    it.boxes.push(...boxes);
  };
  const csv = extname(file).toLowerCase() === '.csv' || (!text.trimStart().startsWith('{') && /^[^\n]*\bimage\b/i.test(text));
  if (csv) {
    const rows = parseCsv(text.replace(/^\uFEFF/, ''));
    if (!rows.length) fail(file, 1, 'the manifest is empty.');
    const head = rows[0].cells.map((h) => h.trim().toLowerCase());
    const col = (n: string) => head.indexOf(n);
    if (col('image') < 0) fail(file, rows[0].line, `the CSV needs a header with an 'image' column (and 'label', 'x0', 'y0', 'x1', 'y1'), got ${head.join(',')}.`);
    const bc = ['x0', 'y0', 'x1', 'y1'].map(col);
    if (bc.some((c) => c >= 0) && bc.some((c) => c < 0)) fail(file, rows[0].line, 'box columns must be all of x0, y0, x1, y1.');
    for (const r of rows.slice(1)) {
      const get = (c: number) => (c >= 0 ? (r.cells[c] ?? '').trim() : '');
      const box = bc[0] >= 0 && bc.some((c) => get(c) !== '') ? [toBox(bc.map((c) => (get(c) === '' ? NaN : Number(get(c)))), file, r.line)] : [];
      add(get(col('image')), toLabel(get(col('label')), classes, file, r.line), box, r.line);
    }
  } else {
    text.split(/\r?\n/).forEach((l, i) => {
      if (!l.trim()) return;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l);
      } catch (e) {
        fail(file, i + 1, `not JSON (${(e as Error).message}).`);
      }
      if (!o || typeof o !== 'object' || typeof o.image !== 'string') fail(file, i + 1, 'each line needs "image": "path".');
      const raw = o.boxes !== undefined ? o.boxes : o.box !== undefined ? [o.box] : [];
      if (!Array.isArray(raw)) fail(file, i + 1, '"boxes" must be a list of [x0, y0, x1, y1].');
      add(o.image, toLabel(o.label, classes, file, i + 1), raw.map((b) => toBox(b, file, i + 1)), i + 1);
    });
  }
  if (!items.size) throw new FileError('E_FILE', `${file} lists no images.`);
  return [...items.values()];
}
