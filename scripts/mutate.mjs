// `npm run mutate [-- SCOPE …] [--jobs 2] [--list]`: mutation testing of src/core, src/methods and the
// kernel twins, one Stryker run per scope, then the merged score (scripts/mutation-score.mjs --min 80,
// whose exit code this returns).
//
// One run over everything would test every mutant against the whole unit suite: hours on a 2-core
// machine, because each mutant's time limit carries the dry run's overhead. A scope pairs a few source
// files with the tests written for them, so its dry run takes seconds and each mutant runs few tests.
// A mutant that only a test outside its scope would kill counts as a survivor: the score is a lower
// bound. Each scope keeps its own report and incremental file (reports/mutation/scopes/<name>.*), so a
// rerun only tests the mutants whose code or tests changed.
//
// SCOPE selects by name (`core-random`), by prefix (`core`, `methods`, `kernels`) or by kernel twin
// name (`relu`); none runs all. `--jobs 2` runs two scopes at once, each in its own sandbox.
// Ad hoc runs of other globs: `npm run mutate:stryker -- --mutate 'GLOBS'` (stryker.config.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ls = (dir) => readdirSync(`${root}/${dir}`).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

const METHODS_COMPUTECAM = ['ablationcam', 'cam', 'eigencam', 'elementwise', 'fem', 'gradcam', 'gradcampp', 'hirescam', 'kpcacam', 'layercam', 'randomcam', 'scorecam', 'segeigencam', 'xgradcam'];
const METHODS_MAPS = ['finercam', 'refinecam', 'shapleycam', 'fullgrad', 'dff'];
const METHODS_NAMED = ['registry', 'guided', 'rollout', ...METHODS_COMPUTECAM, ...METHODS_MAPS];
const m = (names) => names.map((n) => `src/methods/${n}.ts`);

/** Shared kernel files without their own test file: the tests that exercise them. */
const KERNEL_TESTS_OF = { registry: ['relu', 'eigen_pc'], types: ['relu', 'eigen_pc'], 'extension-registry': ['nmf_mu', 'fem_weights'] };

/** Every scope: its name (the report's file name), the files it mutates and the tests each mutant runs. */
const SCOPES = [
  { name: 'core-compare', mutate: ['src/core/compare.ts'], tests: ['test/core/compare.test.ts'] },
  { name: 'core-random', mutate: ['src/core/random.ts'], tests: ['test/core/random.test.ts'] },
  {
    name: 'core-inputs-post-preprocess',
    mutate: ['src/core/inputs.ts', 'src/core/post.ts', 'src/core/preprocess.ts'],
    tests: ['test/core/inputs.test.ts', 'test/core/validate.test.ts', 'test/core/post-options.test.ts', 'test/core/preprocess.test.ts', 'test/core/post.test.ts'],
  },
  { name: 'methods-registry-guided', mutate: m(['registry', 'guided']), tests: ['test/methods/lookup.test.ts', 'test/methods/guided.test.ts', 'test/golden/methods.test.ts'] },
  {
    name: 'methods-computecam',
    mutate: m(METHODS_COMPUTECAM),
    tests: ['test/golden/methods.test.ts', 'test/core/properties.test.ts', 'test/methods/activation-v2.test.ts', 'test/methods/batch.test.ts', 'test/methods/batch-weights.test.ts', 'test/methods/cam.test.ts'],
  },
  { name: 'methods-maps', mutate: m(METHODS_MAPS), tests: ['test/methods/explain-v2.test.ts', 'test/methods/dff.test.ts', 'test/methods/refinemaps.test.ts'] },
  {
    // rollout.ts and every method file not named above (descriptor objects, whose mutants are static,
    // and a new method until it is given a scope), against every test/methods file no other scope runs.
    name: 'methods-rollout-and-descriptors',
    mutate: m(['rollout', ...ls('src/methods').map((f) => f.slice(0, -3)).filter((n) => !METHODS_NAMED.includes(n))]),
    tests: ['test/methods/rollout.test.ts', 'test/methods/lookup.test.ts'],
  },
  ...ls('src/kernels')
    .filter((f) => f !== 'abi.ts')
    .map((f) => f.slice(0, -3))
    .map((k) => ({ name: `kernels-${k}`, mutate: [`src/kernels/${k}.ts`], tests: (KERNEL_TESTS_OF[k] ?? [k]).map((t) => `test/kernels/${t}.test.ts`) })),
];

// Every file of the three folders is in exactly one scope, and every test file exists.
const targets = [...ls('src/core').map((f) => `src/core/${f}`), ...ls('src/methods').map((f) => `src/methods/${f}`), ...ls('src/kernels').filter((f) => f !== 'abi.ts').map((f) => `src/kernels/${f}`)];
for (const t of targets) {
  const n = SCOPES.filter((s) => s.mutate.includes(t)).length;
  if (n !== 1) throw new Error(`${t} is in ${n} mutation scopes (scripts/mutate.mjs), not 1`);
}
for (const s of SCOPES) for (const t of [...s.mutate, ...s.tests]) if (!existsSync(`${root}/${t}`)) throw new Error(`scope ${s.name}: ${t} is missing`);
// Every test of src/core and src/methods runs in some scope, so a new test file is not silently left
// out: a new test/methods file joins the catch-all scope (the two registry tests read sources as text,
// which Stryker's instrumented copies break).
const catchAll = SCOPES.find((s) => s.name === 'methods-rollout-and-descriptors');
for (const dir of ['test/core', 'test/methods']) {
  for (const f of readdirSync(`${root}/${dir}`).filter((n) => n.endsWith('.test.ts') && n !== 'registry.test.ts')) {
    if (SCOPES.some((s) => s.tests.includes(`${dir}/${f}`))) continue;
    if (dir === 'test/methods') catchAll.tests.push(`${dir}/${f}`);
    else throw new Error(`${dir}/${f} is in no mutation scope (scripts/mutate.mjs)`);
  }
}

const args = process.argv.slice(2);
const jobsAt = args.indexOf('--jobs');
const jobs = jobsAt < 0 ? 1 : Math.max(1, Number(args[jobsAt + 1]) || 1);
const wanted = args.filter((a, i) => !a.startsWith('--') && !(jobsAt >= 0 && i === jobsAt + 1));
/** A scope answers to its name, a prefix of it (`core`, `methods`, `kernels`) or, for a twin, the kernel's name. */
const matches = (s, w) => s.name === w || s.name.startsWith(`${w}-`) || s.name === `kernels-${w}`;
const chosen = wanted.length ? SCOPES.filter((s) => wanted.some((w) => matches(s, w))) : SCOPES;
if (args.includes('--list')) {
  for (const s of SCOPES) console.log(`${s.name}\n  mutates ${s.mutate.join(' ')}\n  tests   ${s.tests.join(' ')}`);
  process.exit(0);
}
const unknown = wanted.filter((w) => !SCOPES.some((s) => matches(s, w)));
if (unknown.length) {
  console.error(`no mutation scope ${unknown.join(', ')} (npm run mutate -- --list)`);
  process.exit(2);
}

/** Runs one scope in sandbox dir `tmp`; resolves with Stryker's exit code. */
function run(s, tmp) {
  console.log(`\n== ${s.name}: ${s.mutate.length} file(s) against ${s.tests.join(', ')}`);
  return new Promise((done) => {
    const child = spawn('npx', ['stryker', 'run', '--mutate', s.mutate.join(',')], {
      cwd: root,
      stdio: jobs > 1 ? ['ignore', 'ignore', 'inherit'] : 'inherit',
      env: { ...process.env, CAMKIT_MUTATE_SCOPE: s.name, CAMKIT_MUTATE_TESTS: s.tests.join(','), CAMKIT_MUTATE_TMP: tmp },
    });
    child.on('close', (code) => {
      if (jobs > 1) console.log(`== ${s.name}: done (exit ${code})`);
      done(code ?? 1);
    });
  });
}

/** Sandbox folder of the first job; job j > 0 adds `-${j + 1}`. CAMKIT_MUTATE_TMP moves them (e.g. beside a running run). */
const TMP = process.env.CAMKIT_MUTATE_TMP ?? '.stryker-tmp';
const queue = [...chosen];
let failed = 0;
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async (_, j) => {
    for (let s = queue.shift(); s; s = queue.shift()) if ((await run(s, `${TMP}${j ? `-${j + 1}` : ''}`)) !== 0) failed++;
  }),
);
if (failed) console.error(`\n${failed} scope run(s) failed`);
const score = spawnSync('node', ['scripts/mutation-score.mjs', '--min', '80'], { cwd: root, stdio: 'inherit' });
process.exit(failed ? 1 : (score.status ?? 1));
