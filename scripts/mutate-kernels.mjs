// `npm run mutate:kernels [-- NAME …]`: mutation-tests the kernel twins one file at a time, each against
// its own test file (test/kernels/<name>.test.ts) only. One Stryker run per twin keeps the dry run to
// one test file (seconds instead of minutes on instrumented code), keeps each mutant's tests few, and
// writes each twin's report as soon as it is done (reports/mutation/scopes/src-kernels-<name>.json,
// merged by `npm run mutate:score`). Mutants that only other kernels' or methods' tests would kill
// count as survivors here, so the score is a lower bound.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Shared files without their own test file: the tests that exercise them. */
const TESTS_OF = {
  registry: ['relu', 'eigen_pc'],
  types: ['relu', 'eigen_pc'],
  'extension-registry': ['nmf_mu', 'fem_weights'],
};
const all = readdirSync(`${root}/src/kernels`)
  .filter((f) => f.endsWith('.ts') && f !== 'abi.ts')
  .map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`no twin src/kernels/${name}.ts`);
    process.exit(2);
  }
  const tests = (TESTS_OF[name] ?? [name]).map((t) => `test/kernels/${t}.test.ts`);
  for (const t of tests) if (!existsSync(`${root}/${t}`)) throw new Error(`${t} is missing`);
  console.log(`\n== src/kernels/${name}.ts against ${tests.join(', ')}`);
  const r = spawnSync('npx', ['stryker', 'run', '--mutate', `src/kernels/${name}.ts`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CAMKIT_MUTATE_TESTS: tests.join(',') },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
