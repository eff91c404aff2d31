// `npm run bench:browser [-- --runs N] [--live-runs N] [--engines chromium,webkit,firefox] [--only ttfh|live] [--json FILE]` (needs dist/: npm run build)
// 1. Time to first heatmap: a script-tag page (dist/camkit.widget.js, precomputed map), from navigation
//    (performance.timeOrigin) to the widget's `load` event, in every engine that starts here.
// 2. Live Grad-CAM on MobileNetV2 (nsfwjs' model, served from memory) in Chromium, with the widget's
//    `worker` attribute and without it (tfjs on the page): wall time from setting `model` to `load`,
//    and the longest main-thread task in that window (a buffered `longtask` PerformanceObserver).
// Results: bench/browser-results.json (default) and a table on stdout. One engine at a time.
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import * as harness from '../test/browser/harness.js';

type EngineName = 'chromium' | 'webkit' | 'firefox';
interface Tab {
  goto(url: string): Promise<void>;
  waitFor<T>(fn: () => T, arg?: undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}
interface Engine {
  name: EngineName;
  version: string;
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}

const TF = '/node_modules/@tensorflow/tfjs/dist/tf.min.js';
const MODEL = '/bench/mnv2/model.json';

function args(argv: string[]) {
  const a = { only: '', runs: 5, liveRuns: 3, engines: ['chromium', 'webkit', 'firefox'] as EngineName[], json: join(harness.ROOT, 'bench', 'browser-results.json') };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === '--runs') a.runs = Number(v());
    else if (argv[i] === '--live-runs') a.liveRuns = Number(v());
    else if (argv[i] === '--engines') a.engines = v().split(',') as EngineName[];
    else if (argv[i] === '--json') a.json = v();
    else if (argv[i] === '--only') a.only = v();
    else throw new Error(`unknown argument ${argv[i]} (--runs N, --live-runs N, --engines a,b, --only ttfh|live, --json FILE)`);
  }
  return a;
}

/** The three-engine harness when it is there (launchEngine), else Chromium through playwright. */
async function start(name: EngineName): Promise<Engine> {
  const h = harness as unknown as { launchEngine?: (n: EngineName) => Promise<Engine>; missing?: (n: EngineName) => string | null };
  if (h.launchEngine) {
    const why = h.missing?.(name);
    if (why) throw new Error(why);
    return h.launchEngine(name);
  }
  if (name !== 'chromium') throw new Error('this harness drives Chromium only');
  if (!harness.HAVE_CHROMIUM) throw new Error(`${harness.CHROMIUM} is missing`);
  const browser = await harness.launch();
  return {
    name,
    version: browser.version(),
    async newTab() {
      const page = await browser.newPage();
      return {
        goto: async (url) => void (await page.goto(url)),
        waitFor: async (fn, _arg, timeoutMs = 60_000) => (await page.waitForFunction(fn, undefined, { timeout: timeoutMs })).jsonValue() as never,
        close: () => page.close(),
      };
    },
    close: () => browser.close(),
  };
}

/** nsfwjs' MobileNetV2 (a LayersModel shipped as .min.js modules) as model.json + weights.bin. */
function mobilenetPages(): Record<string, harness.Page> {
  const require = createRequire(import.meta.url);
  const dir = join(harness.ROOT, 'node_modules', 'nsfwjs', 'dist', 'models', 'mobilenet_v2');
  const json = require(`${dir}/model.min.js`) as { modelTopology: object; weightsManifest: { paths: string[]; weights: object[] }[] };
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => Buffer.from(require(`${dir}/${p}.min.js`) as string, 'base64')));
  const manifest = [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }];
  return {
    [MODEL]: { body: JSON.stringify({ modelTopology: json.modelTopology, weightsManifest: manifest }), type: 'application/json' },
    '/bench/mnv2/weights.bin': { body: new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), type: 'application/octet-stream' },
  };
}

const TTFH = `<!doctype html><meta charset="utf-8"><script src="/dist/camkit.widget.js"></script>
<cam-heatmap id="h" src="/examples/assets/img0.png" map="/examples/assets/img0.gradcam.json" alt="heatmap"></cam-heatmap>
<script>document.getElementById('h').addEventListener('load', () => { window.__results = { t: performance.now() }; }, { once: true });</script>`;

const live = (worker: boolean) => `<!doctype html><meta charset="utf-8">${worker ? '' : `<script src="${TF}"></script>`}
<script src="/dist/camkit.widget.js"></script>
<cam-heatmap id="h" src="/examples/assets/img0.png" preprocess="0-1" ${worker ? `worker="${TF}"` : ''}></cam-heatmap>
<script>
  const h = document.getElementById('h'), tasks = []; let t0 = 0;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) tasks.push({ start: e.startTime, dur: e.duration }); }).observe({ type: 'longtask', buffered: true });
  h.addEventListener('load', (e) => {
    if (e.detail.source !== 'live') return;
    const t1 = performance.now();
    performance.mark('camkit-t1');
    // Long-task entries arrive after their task ends: wait a little before reading them.
    setTimeout(() => {
      const during = tasks.filter((x) => x.start + x.dur > t0 && x.start < t1);
      window.__results = { ms: t1 - t0, longest: Math.max(0, ...during.map((x) => x.dur)), longTasks: during.length, at: during.map((x) => [Math.round(x.start - t0), Math.round(x.dur)]), thread: e.detail.thread, backend: e.detail.backend, pageTf: typeof tf };
    }, 300);
  });
  h.addEventListener('error', (e) => { window.__results = { error: e.detail.error.message }; });
  window.addEventListener('load', () => setTimeout(() => { t0 = performance.now(); performance.mark('camkit-t0'); h.setAttribute('model', '${MODEL}'); }, 300));
</script>`;

/**
 * Main-thread tasks between the page's camkit-t0 and camkit-t1 marks in a Chromium trace: the longest
 * by wall time and by the thread's own CPU time (on a loaded machine a task waits for a core, so its
 * wall time includes time the main thread did not run at all).
 */
function traceTasks(buf: Buffer): { longestWallMs: number; longestCpuMs: number; tasksOver50WallMs: number } {
  type Ev = { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { name?: string } };
  const ev = (JSON.parse(buf.toString()) as { traceEvents: Ev[] }).traceEvents;
  const m0 = ev.find((e) => e.name === 'camkit-t0'), m1 = ev.find((e) => e.name === 'camkit-t1');
  if (!m0 || !m1) return { longestWallMs: NaN, longestCpuMs: NaN, tasksOver50WallMs: NaN };
  const main = ev.find((e) => e.name === 'thread_name' && e.pid === m0.pid && e.args?.name === 'CrRendererMain');
  const tasks = ev.filter((e) => e.ph === 'X' && e.pid === m0.pid && (!main || e.tid === main.tid) && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.ts + (e.dur ?? 0) > m0.ts && e.ts < m1.ts);
  const ms = (x = 0) => Math.round(x / 100) / 10;
  return {
    longestWallMs: ms(Math.max(0, ...tasks.map((e) => e.dur ?? 0))),
    longestCpuMs: ms(Math.max(0, ...tasks.map((e) => e.tdur ?? 0))),
    tasksOver50WallMs: tasks.filter((e) => (e.dur ?? 0) > 50_000).length,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

async function main() {
  const a = args(process.argv.slice(2));
  const server = await harness.serve({ '/ttfh.html': { body: TTFH }, '/live-worker.html': { body: live(true) }, '/live-main.html': { body: live(false) }, ...mobilenetPages() });
  const out: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, runs: a.runs, ttfh: {}, live: {} };
  const ttfh = out.ttfh as Record<string, unknown>;
  try {
    for (const name of a.engines) {
      let engine: Engine;
      try {
        engine = await start(name);
      } catch (e) {
        ttfh[name] = { skipped: (e as Error).message };
        console.error(`${name}: skipped (${(e as Error).message})`);
        continue;
      }
      try {
        const runs: number[] = [];
        for (let i = 0; i < (a.only === 'live' ? 0 : a.runs); i++) {
          const tab = await engine.newTab();
          try {
            await tab.goto(`${server.url}/ttfh.html?run=${i}`);
            runs.push((await tab.waitFor(() => (window as unknown as { __results: { t: number } }).__results, undefined, 60_000)).t);
          } finally {
            await tab.close();
          }
        }
        if (runs.length) ttfh[name] = { version: engine.version, runsMs: runs.map(r1), firstMs: r1(runs[0]), medianMs: r1(median(runs)) };
        if (runs.length) console.error(`${name} ${engine.version}: time to first heatmap ${runs.map(r1).join(', ')} ms`);
        if (name === 'chromium' && a.only !== 'ttfh') {
          // Playwright's Chromium (the harness's launch()) for tracing: longtask entries plus the trace's own task times.
          const browser = await harness.launch();
          try {
            for (const mode of ['worker', 'main'] as const) {
              const rows: { ms: number; longest: number; longTasks: number; at: number[][]; thread: string; backend: string; pageTf: string; error?: string; trace?: ReturnType<typeof traceTasks> }[] = [];
              for (let i = 0; i < a.liveRuns; i++) {
                const page = await browser.newPage();
                try {
                  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing', '__metadata'] });
                  await page.goto(`${server.url}/live-${mode}.html?run=${i}`);
                  const r = (await (await page.waitForFunction(() => (window as unknown as { __results: unknown }).__results, undefined, { timeout: 300_000 })).jsonValue()) as (typeof rows)[number];
                  r.trace = traceTasks(await browser.stopTracing());
                  rows.push(r);
                  console.error(`live ${mode} run ${i}: ${JSON.stringify(r)}`);
                } finally {
                  await page.close();
                }
              }
              (out.live as Record<string, unknown>)[mode] = {
                engine: `chromium ${browser.version()}`,
                thread: rows[0]?.thread,
                backend: rows[0]?.backend,
                pageTf: rows[0]?.pageTf,
                runs: rows.map((r) => ({ ms: r1(r.ms), longestTaskMs: r1(r.longest), longTasks: r.longTasks, tasksAtMs: r.at, trace: r.trace, error: r.error })),
                medianMs: r1(median(rows.map((r) => r.ms))),
                maxLongestTaskMs: r1(Math.max(...rows.map((r) => r.longest))),
                maxLongestTaskCpuMs: Math.max(...rows.map((r) => r.trace?.longestCpuMs ?? NaN)),
              };
            }
          } finally {
            await browser.close();
          }
        }
      } finally {
        await engine.close();
      }
    }
  } finally {
    await server.close();
  }
  writeFileSync(a.json, JSON.stringify(out, null, 2) + '\n');
  console.log('| engine | time to first heatmap, median (first) | runs |');
  console.log('| --- | --- | --- |');
  for (const [name, v] of Object.entries(ttfh) as [string, { version?: string; medianMs?: number; firstMs?: number; runsMs?: number[]; skipped?: string }][]) {
    console.log(v.skipped ? `| ${name} | skipped: ${v.skipped} | |` : `| ${name} ${v.version} | ${v.medianMs} ms (${v.firstMs} ms) | ${v.runsMs!.join(', ')} |`);
  }
  console.log('\n| live Grad-CAM, MobileNetV2, Chromium | backend | explain → load, median | longest main-thread task, longtask observer (max over runs) | longest main-thread task by its CPU time (trace, max over runs) | runs (ms / longest task ms / its CPU ms) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [mode, v] of Object.entries(out.live as Record<string, { backend: string; medianMs: number; maxLongestTaskMs: number; maxLongestTaskCpuMs: number; runs: { ms: number; longestTaskMs: number; trace?: { longestCpuMs: number } }[] }>)) {
    console.log(`| ${mode === 'worker' ? 'worker attribute' : 'main thread (tfjs on the page)'} | ${v.backend} | ${v.medianMs} ms | ${v.maxLongestTaskMs} ms | ${v.maxLongestTaskCpuMs} ms | ${v.runs.map((r) => `${r.ms} / ${r.longestTaskMs} / ${r.trace?.longestCpuMs}`).join('; ')} |`);
  }
  console.log(`\nwritten: ${a.json}`);
}

await main();
