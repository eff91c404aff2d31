// `camkit merge DIR… [--out DIR]`: joins the outputs of `camkit explain --shard I/N` runs (in one shared
// folder or in several) into one results.json, one results.csv and one paged index.html, ordered as a
// single run would order them. It reads each folder's .camkit/ records; no image is read or rewritten.
// With several folders, the files stay where they are and the results point at them relative to --out.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileError } from '../errors.js';
import { int, parseArgs, str, UsageError } from './args.js';
import { shown } from './inputs.js';
import { canonical, galleryItems, readRecords, relTo, toEntries, writeResults, LEDGER_DIR, type ImageRecord } from './results.js';

export const MERGE_OPTS = ['out', 'page-size'];
export const MERGE_FLAGS = ['json', 'help', 'quiet'];

export async function cmdMerge(argv: string[], usage: string): Promise<void> {
  const p = parseArgs(argv, MERGE_OPTS, MERGE_FLAGS);
  if (p.options.has('help')) return void process.stdout.write(usage);
  if (!p.positionals.length) throw new UsageError('camkit merge needs one or more output folders of camkit explain (e.g. camkit merge out/).');
  const pageSize = int(p, 'page-size', 100);
  const dirs = p.positionals.map((d) => resolve(d));
  for (const d of dirs) if (!existsSync(d) || !statSync(d).isDirectory()) throw new FileError('E_FILE', `No such folder: ${shown(d)}`);
  const out = resolve(str(p, 'out') ?? dirs[0]);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory.`);

  // one record per image stem; a later folder's record replaces an earlier one
  const byStem = new Map<string, { rec: ImageRecord; dir: string }>();
  let replaced = 0;
  for (const dir of dirs) {
    const recs = readRecords(dir);
    if (!recs.length) throw new FileError('E_FILE', `${shown(dir)} holds no camkit explain outputs (no ${LEDGER_DIR}/ records).`);
    for (const rec of recs) {
      if (byStem.has(rec.stem)) replaced++;
      byStem.set(rec.stem, { rec, dir });
    }
  }
  const recs = [...byStem.values()].sort((a, b) => a.rec.index - b.rec.index || (a.rec.stem < b.rec.stem ? -1 : 1));
  const settings = new Set(recs.map((r) => canonical({ ...r.rec.settings })));
  const s0 = recs[0].rec.settings;
  const info = { model: s0.model, backend: s0.backend, colormap: s0.colormap, pageSize };
  const pages = writeResults(out, toEntries(recs, out, null), galleryItems(recs, out, null), info);
  if (p.options.has('json')) process.stdout.write(JSON.stringify({ results: toEntries(recs, process.cwd(), null) }) + '\n');
  if (!p.options.has('quiet')) {
    const notes = [replaced ? `${replaced} images found twice (the later folder's kept)` : '', settings.size > 1 ? `the images were explained with ${settings.size} different settings` : ''].filter(Boolean);
    process.stderr.write(`camkit: merged ${recs.length} images from ${dirs.length} folder${dirs.length > 1 ? 's' : ''} into ${relTo(process.cwd(), out)}: ${pages.length > 1 ? `${pages.length} gallery pages` : 'index.html'}, results.json, results.csv${notes.length ? ` (${notes.join('; ')})` : ''}.\n`);
  }
}
