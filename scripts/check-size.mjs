// Bundle sizes, minified + gzipped, with budgets. An ESM entry counts with every chunk it imports
// statically (what a page loading it would fetch); each file is minified with terser first.
// Usage: node scripts/check-size.mjs  (after npm run build). Exits 1 when a budget is exceeded.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { minify } from 'terser';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1024;
export const BUDGETS = [
  { file: 'dist/index.js', limit: 24 * KB, what: 'core (camkit)' },
  { file: 'dist/camkit.widget.js', limit: 32 * KB, what: 'widget IIFE (script tag)' },
  { file: 'dist/widget.js', what: 'widget ESM (camkit/widget)' },
  { file: 'dist/capture.js', what: 'capture ESM (camkit/capture)' },
  { file: 'dist/camkit.capture.js', what: 'capture IIFE (live mode)' },
  { file: 'dist/metrics.js', what: 'metrics ESM (camkit/metrics)' },
  { file: 'dist/cli.js', what: 'CLI (Node)' },
];

function staticGraph(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  for (const m of src.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*(?:[^'"]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g)) {
    staticGraph(resolve(dirname(file), m[1]), seen);
  }
  return seen;
}

export async function measure() {
  const rows = [];
  for (const b of BUDGETS) {
    const file = join(root, b.file);
    if (!existsSync(file)) {
      rows.push({ ...b, missing: true });
      continue;
    }
    let code = '';
    const files = [...staticGraph(file)];
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      const min = await minify(src, { module: !f.endsWith('camkit.widget.js') && !f.endsWith('camkit.capture.js'), compress: { passes: 2 }, format: { comments: false } });
      code += min.code + '\n';
    }
    const gz = gzipSync(code, { level: 9 }).length;
    rows.push({ ...b, files: files.length, min: Buffer.byteLength(code), gz, ok: b.limit === undefined || gz <= b.limit });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await measure();
  const f = (n) => `${(n / KB).toFixed(1)} KB`;
  console.log('| bundle | files | minified | min+gzip | budget | |\n| --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    if (r.missing) console.log(`| ${r.file} (${r.what}) | — | — | — | ${r.limit ? f(r.limit) : '—'} | not built |`);
    else console.log(`| ${r.file} (${r.what}) | ${r.files} | ${f(r.min)} | ${f(r.gz)} | ${r.limit ? f(r.limit) : '—'} | ${r.ok ? 'ok' : 'OVER'} |`);
  }
  if (rows.some((r) => r.ok === false) || rows.slice(0, 2).some((r) => r.missing)) process.exit(1);
}
