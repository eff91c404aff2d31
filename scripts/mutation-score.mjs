// `npm run mutate:score`: merges the scope reports of `npm run mutate` (reports/mutation/scopes/*.json,
// stryker.config.mjs) into one mutation score over src/methods, src/core and the kernel twins, per file,
// per folder and in total, and lists the surviving and uncovered mutants. A file in several reports is
// taken from the newest one. Survivors listed in scripts/mutation-accepted.json (matched on file, line,
// mutator, replacement and the mutated source text) are shown with their reason; the others are marked
// open. An entry that matches nothing any more (the code moved or changed, or a test kills it now) is
// listed so that it gets reviewed.
//   node scripts/mutation-score.mjs [--min 80] [--markdown] [--open-json] [--docs FILE] [--dir reports/mutation/scopes]
// --min N exits 1 when the total is below N % or when a file of the three folders is in no report.
// --open-json prints only the open survivors, as entries for scripts/mutation-accepted.json.
// --docs FILE rewrites the block between <!-- mutation-results --> and <!-- /mutation-results --> in FILE
// (docs/testing.md): the folder table, the accepted survivors grouped by reason, the open ones per file.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const dir = join(root, opt('--dir') ?? 'reports/mutation/scopes');
const min = opt('--min') === undefined ? undefined : Number(opt('--min'));
const markdown = args.includes('--markdown');

/** The files `npm run mutate` mutates (stryker.config.mjs `mutate`). */
function targets() {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
    }
  };
  walk('src/methods');
  walk('src/core');
  for (const f of readdirSync(join(root, 'src/kernels'))) if (f.endsWith('.ts') && f !== 'abi.ts') out.push(`src/kernels/${f}`);
  return out.sort();
}
const folderOf = (f) => f.split('/').slice(0, 2).join('/');

const reports = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.incremental.json'))
      .map((f) => ({ name: f, path: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime)
  : [];
if (reports.length === 0) {
  console.error(`no scope reports in ${relative(root, dir) || '.'}: run \`npm run mutate -- --mutate 'src/core/**/*.ts'\` first`);
  process.exit(1);
}

/** file → { report, mutants, source }, the newest report winning. */
const files = new Map();
/** The --mutate patterns of every report: a file they name that is in no report has no mutants. */
const patterns = [];
const globRe = (g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}$`);
for (const r of reports) {
  const json = JSON.parse(readFileSync(r.path, 'utf8'));
  for (const m of json.config?.mutate ?? []) if (!m.startsWith('!')) patterns.push(globRe(m));
  for (const [f, v] of Object.entries(json.files)) files.set(f.replace(/\\/g, '/'), { report: r.name, mutants: v.mutants, source: v.source });
}

const acceptedPath = join(root, 'scripts/mutation-accepted.json');
const accepted = existsSync(acceptedPath) ? JSON.parse(readFileSync(acceptedPath, 'utf8')).accepted : [];

/** The source text a mutant replaces. */
function original(source, loc) {
  const lines = source.split('\n');
  const { start, end } = loc;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const parts = [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)];
  return parts.join('\n');
}
const squash = (s) => s.replace(/\s+/g, ' ').trim();

const KEYS = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'errors', 'Ignored'];
const zero = () => Object.fromEntries(KEYS.map((k) => [k, 0]));
const add = (a, b) => KEYS.forEach((k) => (a[k] += b[k]));
const score = (c) => {
  const valid = c.Killed + c.Timeout + c.Survived + c.NoCoverage;
  return valid === 0 ? NaN : (100 * (c.Killed + c.Timeout)) / valid;
};

const rows = [];
const open = [];
const acceptedHits = [];
const usedAccepted = new Set();
const missing = [];
const noMutants = [];
for (const f of targets()) {
  const e = files.get(f);
  if (!e) {
    if (patterns.some((re) => re.test(f))) noMutants.push(f);
    else missing.push(f);
    continue;
  }
  const c = zero();
  for (const m of e.mutants) {
    const k = m.status === 'CompileError' || m.status === 'RuntimeError' ? 'errors' : m.status;
    if (k in c) c[k]++;
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const code = squash(original(e.source, m.location));
    const hit = accepted.findIndex(
      (a) => a.file === f && (a.line === undefined || a.line === m.location.start.line) && a.mutator === m.mutatorName && squash(a.replacement) === squash(m.replacement ?? '') && squash(a.code) === code,
    );
    const item = { file: f, line: m.location.start.line, status: m.status, mutator: m.mutatorName, code, replacement: squash(m.replacement ?? '') };
    if (hit >= 0) {
      usedAccepted.add(hit);
      acceptedHits.push({ ...item, reason: accepted[hit].reason });
    } else open.push(item);
  }
  rows.push({ file: f, folder: folderOf(f), report: e.report, c });
}

if (args.includes('--open-json')) {
  console.log(JSON.stringify(open.map((o) => ({ file: o.file, line: o.line, status: o.status, mutator: o.mutator, code: o.code, replacement: o.replacement, reason: '' })), null, 2));
  process.exit(0);
}

const pct = (c) => (Number.isNaN(score(c)) ? '–' : `${score(c).toFixed(2)} %`);
const line = (name, c) => [name, pct(c), c.Killed, c.Timeout, c.Survived, c.NoCoverage, c.errors, c.Ignored];
const header = ['file', 'score', 'killed', 'timeout', 'survived', 'no cov', 'errors', 'ignored'];
const folders = new Map();
const total = zero();
for (const r of rows) {
  if (!folders.has(r.folder)) folders.set(r.folder, zero());
  add(folders.get(r.folder), r.c);
  add(total, r.c);
}

function table(head, body) {
  if (markdown) {
    return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
  }
  const w = head.map((h, i) => Math.max(String(h).length, ...body.map((b) => String(b[i]).length)));
  const fmt = (b) => b.map((v, i) => (i === 0 ? String(v).padEnd(w[i]) : String(v).padStart(w[i]))).join('  ');
  return [fmt(head), ...body.map(fmt)].join('\n');
}

console.log(table(header, rows.map((r) => line(r.file, r.c))));
console.log();
console.log(table(['folder', ...header.slice(1)], [...[...folders].map(([f, c]) => line(f, c)), line('total', total)]));
console.log(`\nscore = (killed + timeout) / (killed + timeout + survived + no cov); reports: ${reports.map((r) => r.name).join(', ')}`);
const eq = { ...total, Survived: total.Survived - acceptedHits.filter((a) => a.status === 'Survived').length, NoCoverage: total.NoCoverage - acceptedHits.filter((a) => a.status === 'NoCoverage').length };
console.log(`without the ${acceptedHits.length} accepted equivalent mutants (as if disabled with // Stryker disable): ${pct(eq)}`);
if (noMutants.length) console.log(`\nmutated but without mutants (${noMutants.length}): ${noMutants.join(', ')}`);
if (missing.length) console.log(`\nnot run (in no report) (${missing.length}): ${missing.join(', ')}`);
if (acceptedHits.length) {
  console.log(`\naccepted survivors (${acceptedHits.length}, scripts/mutation-accepted.json):`);
  for (const a of acceptedHits) console.log(`  ${a.file}:${a.line} ${a.mutator} \`${a.code}\` → \`${a.replacement}\`: ${a.reason}`);
}
const stale = accepted.filter((a, i) => !usedAccepted.has(i) && files.has(a.file));
if (stale.length) {
  console.log(`\naccepted entries that match no surviving mutant (${stale.length}; killed now, or the code changed):`);
  for (const a of stale) console.log(`  ${a.file}:${a.line ?? '?'} ${a.mutator} \`${a.code}\` → \`${a.replacement}\``);
}
if (open.length) {
  console.log(`\nopen survivors and uncovered mutants (${open.length}):`);
  for (const o of open) console.log(`  ${o.file}:${o.line} ${o.status} ${o.mutator} \`${o.code.length > 80 ? `${o.code.slice(0, 77)}...` : o.code}\` → \`${o.replacement.length > 60 ? `${o.replacement.slice(0, 57)}...` : o.replacement}\``);
}
const docsFile = opt('--docs');
if (docsFile) {
  const md = (head, body) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
  const byReason = new Map();
  for (const a of acceptedHits) byReason.set(a.reason, [...(byReason.get(a.reason) ?? []), a]);
  const openByFile = new Map();
  for (const o of open) openByFile.set(o.file, (openByFile.get(o.file) ?? 0) + 1);
  const block = [
    '### Results',
    '',
    'Merged by `npm run mutate:score` over the scope reports (Stryker\'s score: accepted equivalent',
    'mutants still count as survivors); this block is written by `npm run mutate:score -- --docs docs/testing.md`.',
    '',
    md(['folder', ...header.slice(1)], [...[...folders].map(([f, c]) => line(f, c)), line('**total**', total)]),
    '',
    `Without the ${acceptedHits.length} accepted equivalent mutants (as if disabled with \`// Stryker disable\`) the score is ${pct(eq)}.`,
    '',
    `Accepted survivors (equivalent mutants, \`scripts/mutation-accepted.json\`), grouped by reason:`,
    '',
    ...[...byReason].map(([reason, hits]) => `- ${reason}: ${hits.map((a) => `\`${a.file}:${a.line}\` ${a.mutator} \`${a.code.replace(/`/g, "'")}\` → \`${a.replacement.replace(/`/g, "'") || '…'}\``).join('; ')}.`),
    '',
    open.length
      ? `Open survivors and uncovered mutants per file (\`npm run mutate:score\` lists each): ${[...openByFile].map(([f, n]) => `\`${f}\` ${n}`).join(', ')}.`
      : 'Open survivors and uncovered mutants: none.',
    ...(noMutants.length ? ['', `Mutated but without any mutant (types and constant lists only): ${noMutants.join(', ')}.`] : []),
    ...(missing.length ? ['', `Not run (in no report): ${missing.join(', ')}.`] : []),
  ].join('\n');
  const path = join(root, docsFile);
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf('<!-- mutation-results -->'), b = text.indexOf('<!-- /mutation-results -->');
  if (a < 0 || b < a) throw new Error(`${docsFile} has no <!-- mutation-results --> … <!-- /mutation-results --> block`);
  writeFileSync(path, `${text.slice(0, a)}<!-- mutation-results -->\n${block}\n${text.slice(b)}`);
  console.log(`\nwrote the results block of ${docsFile}`);
}
if (min !== undefined && (score(total) < min || missing.length > 0)) {
  console.error(`\nmutation score ${pct(total)} (minimum ${min} %)${missing.length ? `, ${missing.length} file(s) in no report` : ''}`);
  process.exit(1);
}
