// Bundle sizes, minified + gzipped, with budgets. An ESM entry is measured as an application bundler
// would ship it: rolled up with every chunk it imports statically into one module, then minified
// with terser (tfjs and node: builtins stay external). The IIFE files are measured as shipped.
// Usage: node scripts/check-size.mjs  (after npm run build). Exits 1 when a budget is exceeded.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { minify } from 'terser';
import { rollup } from 'rollup';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1024;
export const BUDGETS = [
  { file: 'dist/index.js', limit: 32 * KB, what: 'core (camkit)' }, // 24 KB held the first wave's 11 methods; the registry's second wave roughly doubles them
  { file: 'dist/camkit.widget.js', limit: 32 * KB, what: 'widget IIFE (script tag)' },
  { file: 'dist/widget.js', what: 'widget ESM (camkit/widget)' },
  { file: 'dist/capture.js', what: 'capture ESM (camkit/capture)' },
  { file: 'dist/camkit.capture.js', what: 'capture IIFE (live mode)' },
  { file: 'dist/mapfile.js', what: 'map files ESM (camkit/mapfile)' },
  { file: 'dist/metrics.js', what: 'metrics ESM (camkit/metrics)' },
  { file: 'dist/cli.js', what: 'CLI (Node)' },
];

async function oneModule(file) {
  if (/camkit\.(widget|capture)\.js$/.test(file)) return { code: readFileSync(file, 'utf8'), files: 1 };
  // Live mode's dynamic import of the capture entry is a separate download, not part of the widget;
  // so is the extension kernels' chunk (the second-wave methods load it on first use).
  const lazy = (id) => (/(^|\/)capture\.js$/.test(id) && !file.endsWith('capture.js')) || /(^|\/)extension-registry-[\w-]+\.js$/.test(id);
  const bundle = await rollup({ input: file, external: (id) => /^@tensorflow\/|^node:|^pngjs$|^jpeg-js$/.test(id) || lazy(id), onwarn: () => {} });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  const min = await minify(output[0].code, { module: true, compress: { passes: 2 }, format: { comments: false } });
  return { code: min.code, files: output[0].moduleIds.length };
}

export async function measure() {
  const rows = [];
  for (const b of BUDGETS) {
    const file = join(root, b.file);
    if (!existsSync(file)) {
      rows.push({ ...b, missing: true });
      continue;
    }
    const { code, files } = await oneModule(file);
    const gz = gzipSync(code, { level: 9 }).length;
    rows.push({ ...b, files, min: Buffer.byteLength(code), gz, ok: b.limit === undefined || gz <= b.limit });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await measure();
  const f = (n) => `${(n / KB).toFixed(1)} KB`;
  console.log('| bundle | modules | minified | min+gzip | budget | |\n| --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    if (r.missing) console.log(`| ${r.file} (${r.what}) | — | — | — | ${r.limit ? f(r.limit) : '—'} | not built |`);
    else console.log(`| ${r.file} (${r.what}) | ${r.files} | ${f(r.min)} | ${f(r.gz)} | ${r.limit ? f(r.limit) : '—'} | ${r.ok ? 'ok' : 'OVER'} |`);
  }
  if (rows.some((r) => r.ok === false) || rows.slice(0, 2).some((r) => r.missing)) process.exit(1);
}
