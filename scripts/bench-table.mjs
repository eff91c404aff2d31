// bench JSON → markdown: the machine, one table per workload, and the issue's targets (held / missed).
// Usage: node scripts/bench-table.mjs [bench/results.json] [--summary] > table.md
// --summary: the README's form instead (one row per main workload, one column per impl, then the targets).
// The machine is read when the table is generated; run it on the machine that produced the JSON.
// As a module: benchMarkdown(rows, { summary, machine }) and kernelTable(rows) return the same markdown
// (scripts/docs.ts writes them into docs/performance.md and docs/bench.md: npm run docs:bench).
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 1 ? `${x.toFixed(2)} ms` : `${(x * 1000).toFixed(1)} µs`);
const gbps = (r) => r.bytes / (r.median_ms * 1e6);
const mib = (b) => (b ? `${(b / 2 ** 20).toFixed(1)}` : '–');

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k) => info.match(new RegExp(`^${k}\\s*:\\s*(.+)$`, 'm'))?.[1].trim();
    if (field('model name')) model = `${field('model name')} (family ${field('cpu family')}, model ${field('model')})`;
  } catch {
    /* no /proc/cpuinfo: keep the os module's name */
  }
  return `${model}, ${cpus().length} cores visible, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version} (${process.platform}/${process.arch})`;
}

/**
 * The markdown of a run. summary: one row per main workload, one column per impl, then the targets;
 * else one table per workload. machine: a line describing this machine first (false for generated docs,
 * which must not depend on where they are generated).
 */
export function benchMarkdown(rows, { summary = false, machine: withMachine = true } = {}) {
const find = (w, i) => rows.find((r) => r.workload === w && r.impl === i);
const out = [];
if (withMachine) {
  out.push(`Machine: ${machine()}. tfjs 4.22.0 (wasm backend: SIMD, 1 thread in Node). Shared and noisy: compare ratios within this run, not absolute times.`);
  out.push('');
}
if (!summary) out.push('`bytes` = compulsory traffic (inputs read once + outputs written once); GB/s = bytes / median. "× simd" = this row\'s median / the camkit simd median.');
if (!summary) out.push('');

const order = [];
for (const r of rows) if (!order.includes(r.workload)) order.push(r.workload);
// The README's table: the issue's named workloads only, one column per impl.
const MAIN = /^(gradcam-post|readback|upsample|overlay|fuse|scorecam-masks|limit|forward|explain|forward-batch|capture)\//;
const IMPLS = ['simd', 'scalar', 'js', 'tfjs-wasm', 'tfjs-wasm-best', 'tfjs-cpu', 'limit'];
if (summary) {
  out.push('| workload | simd | scalar | js | tfjs-wasm | tfjs-wasm-best | tfjs-cpu | limit | GB/s (simd or limit) |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of order.filter((w) => MAIN.test(w))) {
    const cell = (i) => (find(w, i) ? ms(find(w, i).median_ms) : '');
    const bw = find(w, 'simd') ?? find(w, 'limit');
    const showBw = bw && !/^(forward|explain|capture|forward-batch)\//.test(w);
    out.push(`| \`${w}\` | ${IMPLS.map(cell).join(' | ')} | ${showBw ? gbps(bw).toFixed(1) : ''} |`);
  }
  out.push('');
}
for (const w of summary ? [] : order) {
  const rs = rows.filter((r) => r.workload === w);
  const base = rs.find((r) => r.impl === 'simd');
  const showBw = !/^(forward|explain|capture|forward-batch)\//.test(w);
  out.push(`**${w}**${showBw ? ` (${mib(rs[0].bytes)} MiB moved)` : ''}`);
  out.push('');
  out.push(`| impl | median | p10 | p90 |${showBw ? ' GB/s |' : ''} × simd | wasm MiB | note |`);
  out.push(`|---|---:|---:|---:|${showBw ? '---:|' : ''}---:|---:|---|`);
  for (const r of rs) {
    const rel = base && r !== base ? (r.median_ms / base.median_ms).toFixed(r.median_ms / base.median_ms >= 10 ? 0 : 2) : base ? '1' : '';
    const note = [r.note, r.kernel_ms !== undefined ? `camkit kernels + copies ${ms(r.kernel_ms)}` : ''].filter(Boolean).join('; ');
    out.push(`| ${r.impl} | ${ms(r.median_ms)} | ${ms(r.p10_ms)} | ${ms(r.p90_ms)} |${showBw ? ` ${gbps(r).toFixed(1)} |` : ''} ${rel} | ${mib(r.peak_wasm_bytes)} | ${note} |`);
  }
  out.push('');
}

// The targets of the "Benchmarks" issue, evaluated on this run.
const checks = [];
const ratio = (w, slow, fast) => {
  const a = find(w, slow), b = find(w, fast);
  return a && b ? a.median_ms / b.median_ms : null;
};
const target = (name, value, goal, fmt, higherIsBetter = true) =>
  checks.push({ name, value, goal, fmt, ok: value === null ? null : higherIsBetter ? value >= goal : value <= goal });
const x = (v) => `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)}×`;
const pct = (v) => `${(v * 100).toFixed(v < 0.1 ? 2 : 0)} %`;
for (const w of order.filter((w) => w.startsWith('gradcam-post/'))) {
  target(`${w}: simd vs tfjs-wasm`, ratio(w, 'tfjs-wasm', 'simd'), 15, x);
  target(`${w}: simd vs tfjs-wasm-best`, ratio(w, 'tfjs-wasm-best', 'simd'), 4, x);
  target(`${w}: simd vs js`, ratio(w, 'js', 'simd'), 8, x);
  target(`${w}: simd vs scalar`, ratio(w, 'scalar', 'simd'), 2, x);
}
const limit = find('limit/memcpy-64MiB', 'limit');
const ofLimit = (w) => {
  const r = find(w, 'simd');
  return r && limit ? gbps(r) / gbps(limit) : null;
};
target('upsample/7x7-1024x1024: simd GB/s vs memcpy GB/s', ofLimit('upsample/7x7-1024x1024'), 0.7, pct);
target('fuse/1024x1024x3: simd GB/s vs memcpy GB/s', ofLimit('fuse/1024x1024x3'), 0.7, pct);
target('overlay/1024x1024: simd GB/s vs memcpy GB/s', ofLimit('overlay/1024x1024'), 0.4, pct);
target('overlay/1024x1024: simd vs tfjs-wasm', ratio('overlay/1024x1024', 'tfjs-wasm', 'simd'), 50, x);
const ex = find('explain/gradcam/mobilenet_v2/wasm', 'simd');
const fw = find('forward/mobilenet_v2/wasm', 'tfjs-wasm');
target('explain/gradcam time vs forward', ex && fw ? ex.median_ms / fw.median_ms : null, 1.3, x, false);
target('camkit kernels + copies share of explain/gradcam', ex && ex.kernel_ms !== undefined ? ex.kernel_ms / ex.median_ms : null, 0.02, pct, false);
target('capture/block_13_expand_relu: camkit vs plain tf.grad', ratio('capture/block_13_expand_relu/mobilenet_v2/wasm', 'tfjs-wasm', 'simd'), 10, x);
const sc = find('explain/scorecam/mobilenet_v2/wasm', 'simd');
const fb = find('forward-batch/mobilenet_v2/wasm', 'tfjs-wasm');
target('explain/scorecam time vs forward-batch', sc && fb ? sc.median_ms / fb.median_ms : null, 1.1, x, false);

out.push('**Targets**');
out.push('');
out.push('| target | measured | goal | |');
out.push('|---|---:|---:|---|');
for (const c of checks) {
  const v = c.value === null ? 'not run' : c.fmt(c.value);
  const goal = `${c.name.includes('vs forward') || c.name.includes('share') ? '≤' : '≥'} ${c.fmt(c.goal)}`;
  out.push(`| ${c.name} | ${v} | ${goal} | ${c.ok === null ? '–' : c.ok ? 'holds' : 'missed'} |`);
}
out.push('');
return out.join('\n');
}

/** One row per kernel workload (a kernel's name before the first '/', the summary's workloads left out): the three flavors and tfjs. */
export function kernelTable(rows) {
  const find = (w, i) => rows.find((r) => r.workload === w && r.impl === i);
  const order = [];
  for (const r of rows) if (/^[a-z0-9_]+\//.test(r.workload) && !/^(limit|upsample|fuse|overlay|readback|forward|explain|capture)\//.test(r.workload) && !order.includes(r.workload)) order.push(r.workload);
  const out = ['| workload | simd | scalar | js | tfjs-wasm | js / simd |', '|---|---:|---:|---:|---:|---:|'];
  for (const w of order) {
    const cell = (i) => (find(w, i) ? ms(find(w, i).median_ms) : '');
    const tf = find(w, 'tfjs-wasm-best') ?? find(w, 'tfjs-wasm');
    const s = find(w, 'simd'), j = find(w, 'js');
    const ratio = s && j ? `${(j.median_ms / s.median_ms).toFixed(j.median_ms / s.median_ms >= 10 ? 0 : 1)}×` : '';
    out.push(`| \`${w}\` | ${cell('simd')} | ${cell('scalar')} | ${cell('js')} | ${tf ? ms(tf.median_ms) : ''} | ${ratio} |`);
  }
  return out.join('\n') + '\n';
}

export function readRows(file) {
  const rows = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(rows)) throw new Error(`${file}: expected an array of rows`);
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--')) ?? 'bench/results.json';
  process.stdout.write(benchMarkdown(readRows(file), { summary: args.includes('--summary') }));
}
