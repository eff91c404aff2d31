// camkit bundles. npm: ESM (+ shared chunks) and CJS for the core, capture and metrics entries,
// ESM-only widget, bundled .d.ts/.d.cts, the Node CLI. Script tag: dist/camkit.widget.js (IIFE, global
// `camkit`, wasm inlined) and dist/camkit.capture.js (IIFE, global `camkitCapture`, uses the page's `tf`
// and the widget's runtime).
// tfjs is never bundled.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import typescript from '@rollup/plugin-typescript';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

// Every entry must exist: a missing one fails the build (and CI) rather than shipping a package whose
// exports map points at nothing.
const ENTRIES = {
  index: 'src/index.ts',
  mapfile: 'src/mapfile.ts',
  capture: 'src/capture/index.ts',
  metrics: 'src/metrics/index.ts',
  widget: 'src/widget/index.ts',
  worker: 'src/worker/index.ts',
};
for (const f of [...Object.values(ENTRIES), 'src/cli/camkit.ts', 'src/cli/worker.ts', 'src/worker/web-entry.ts', 'src/worker/node-thread.ts']) if (!existsSync(f)) throw new Error(`rollup: entry ${f} is missing`);
const pick = (names) => Object.fromEntries(names.map((n) => [n, ENTRIES[n]]));

const CLI_DEPS = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies ?? {});

const tfGlobal = (id) => /^@tensorflow\//.test(id);
const nodeBuiltin = (id) => id.startsWith('node:');
const external = (id) => tfGlobal(id) || nodeBuiltin(id);

// Types are checked by `npm run typecheck`; here TypeScript only strips them (fast, one pass).
const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['src/**/*.ts'],
    exclude: ['src/conformance/**', 'src/cli/conformance-main.ts'],
    compilerOptions: { declaration: false, noCheck: true, outDir: 'dist', sourceMap: false, noEmitOnError: false },
    outputToFilesystem: false,
  });

// The IIFE widget cannot code-split, so live mode loads camkit.capture.js with a <script> instead.
const iifeCaptureLoader = {
  name: 'camkit-iife-capture-loader',
  resolveId(source, importer) {
    if (source === './capture-loader.js' && importer?.includes('/src/widget/')) {
      return fileURLToPath(new URL('./src/widget/capture-loader.iife.ts', import.meta.url));
    }
    return null;
  },
};

// Modules camkit.capture.js takes from the widget IIFE's `camkit` global (it exports what they export).
const SHARED_WITH_WIDGET = ['src/runtime/init.ts', 'src/errors.ts'].map((f) => fileURLToPath(new URL(`./${f}`, import.meta.url)));
const fromWidget = (id) => SHARED_WITH_WIDGET.includes(id.replace(/\.js$/, '.ts'));

const lib = pick(['index', 'mapfile', 'capture', 'metrics', 'widget', 'worker']);
const cjsLib = pick(['index', 'mapfile', 'capture', 'metrics', 'worker']);

// dist/camkit.worker.js runs as a classic Web Worker whose `tf` global exists only once the tfjs
// script named in the first 'init' message is loaded: the IIFE is wrapped in a function that this
// bootstrap calls after importScripts(init.tfjs); messages that arrive earlier wait in a queue.
const WORKER_BANNER = 'var __camkitWorker=function(){';
const WORKER_FOOTER = `return camkitWorker};
(function(){var h=null,q=[];self.addEventListener("message",function(e){var m=e.data;if(h){h(m);return}
if(!m||m.type!=="init"){q.push(m);return}
try{if(typeof tf==="undefined"){if(!m.init||!m.init.tfjs)throw new Error("camkit.worker.js needs the URL of the tfjs script (init.tfjs)");importScripts(m.init.tfjs)}h=__camkitWorker().start()}
catch(err){self.postMessage({type:"failed",error:{name:"CamkitError",code:"E_INIT",message:"camkit worker could not start: "+(err&&err.message||err)}});return}
h(m);for(var i=0;i<q.length;i++)h(q[i]);q=[]})})();`;
const minify = () => terser({ format: { comments: false }, compress: { passes: 2 } });

// dist/package.json-free: the .d.cts files are the same declarations under the CommonJS extension.
const copyCts = (names) => ({
  name: 'camkit-dcts',
  writeBundle() {
    for (const n of names) writeFileSync(`dist/${n}.d.cts`, readFileSync(`dist/${n}.d.ts`, 'utf8'));
  },
});

export default [
  {
    input: lib,
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  },
  {
    input: cjsLib,
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', exports: 'named' },
  },
  {
    input: lib,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { noCheck: true } }), copyCts(Object.keys(cjsLib))],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
  },
  {
    input: 'src/widget/iife.ts',
    plugins: [iifeCaptureLoader, ts(), minify()],
    output: { file: 'dist/camkit.widget.js', format: 'iife', name: 'camkit', inlineDynamicImports: true },
  },
  {
    // Live mode runs beside the widget: the runtime (with the inlined wasm) and the error classes come
    // from the widget's `camkit` global, so a page has one runtime, one wasm compile, and errors that
    // pass `instanceof camkit.InputError` whichever bundle threw them.
    input: 'src/capture/index.ts',
    external: (id) => tfGlobal(id) || fromWidget(id),
    plugins: [ts(), minify()],
    output: {
      file: 'dist/camkit.capture.js',
      format: 'iife',
      name: 'camkitCapture',
      // The extension kernels' chunk (a dynamic import elsewhere) is inlined: an IIFE cannot split.
      inlineDynamicImports: true,
      globals: (id) => (tfGlobal(id) ? 'tf' : fromWidget(id) ? 'camkit' : id),
      banner: 'if(typeof camkit==="undefined")throw new Error("camkit.capture.js runs on camkit.widget.js: load the widget script first");',
    },
  },
  {
    input: 'src/worker/web-entry.ts',
    external: tfGlobal,
    plugins: [ts(), minify()],
    output: {
      file: 'dist/camkit.worker.js',
      format: 'iife',
      name: 'camkitWorker',
      globals: (id) => (tfGlobal(id) ? 'tf' : id),
      banner: WORKER_BANNER,
      footer: WORKER_FOOTER,
      inlineDynamicImports: true,
    },
  },
  // The CLI and the worker thread of `camkit explain --workers N`, one file each (the CLI finds
  // ./cli-worker.js beside itself); the package's dependencies (decoders, glob, worker pool) stay imports.
  ...[
    ['src/cli/camkit.ts', 'dist/cli.js', '#!/usr/bin/env node'],
    ['src/cli/worker.ts', 'dist/cli-worker.js', ''],
    ['src/worker/node-thread.ts', 'dist/worker-thread.js', ''],
  ].map(([input, file, banner]) => ({
    input,
    external: (id) => external(id) || CLI_DEPS.some((d) => id === d || id.startsWith(`${d}/`)),
    plugins: [
      nodeResolve({ preferBuiltins: true }),
      ts(),
      // The bin must be executable: npx links it once per checkout path and sets the mode only then,
      // so a rebuilt or re-cloned dist/cli.js would otherwise fail with 'Permission denied'.
      banner ? { name: 'executable', writeBundle: (o) => chmodSync(o.file, 0o755) } : null,
    ],
    output: { file, format: 'es', banner, inlineDynamicImports: true },
  })),
];
