// `npm run check:kernel-breaks [-- --only REGEX] [--build simd|scalar]`: for every kernel and each wasm
// build (SIMD, scalar), compiles a copy of assembly/ in which that kernel's export returns at once in
// that build only, and checks that the tests fail against it (CAMKIT_WASM_MODULE, see vitest.config.ts).
// The kernel's own test file runs first; only when it stays green do the other test/kernels files and
// test/render run. Exits 1 when some break goes unnoticed.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAbi } from './gen-abi.mjs';
import { compileTarget, extensionFile, MODULES, writeWasmModule } from './build-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const arg = (k) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);
const only = arg('--only') ? new RegExp(arg('--only')) : null;
const builds = arg('--build') ? [arg('--build')] : ['simd', 'scalar'];
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');

const kernels = readAbi().filter((f) => f.name !== 'heap_base' && (!only || only.test(f.name)));
if (!kernels.length) {
  console.error(`no kernel matches ${only}`);
  process.exit(1);
}

/** The kernel's export with `if (<build>) return …;` as its first statement. */
function breakExport(src, fn, build) {
  const re = new RegExp(`^(export function ${fn.name}\\s*\\([^)]*\\)\\s*:\\s*\\w+\\s*\\{)`, 'm');
  if (!re.test(src)) throw new Error(`assembly/${fn.name}.ts: cannot find export function ${fn.name}`);
  const value = fn.ret === 'void' ? '' : ' 0';
  const cond = build === 'simd' ? 'ASC_FEATURE_SIMD' : '!ASC_FEATURE_SIMD';
  return src.replace(re, `$1\n  if (${cond}) return${value}; // deliberately broken by check-kernel-breaks`);
}

function runTests(files, wasm) {
  const r = spawnSync(process.execPath, [vitest, 'run', '--bail', '1', ...files], {
    cwd: root,
    env: { ...process.env, CAMKIT_WASM_MODULE: wasm },
    encoding: 'utf8',
  });
  return r.status !== 0;
}

// The intact binaries, as `npm run build:wasm` (run first by the npm script) left them in build/.
const built = (module) => ({ simd: readFileSync(join(root, 'build', `${MODULES[module].out}.simd.wasm`)), scalar: readFileSync(join(root, 'build', `${MODULES[module].out}.scalar.wasm`)) });
const good = { core: built('core'), extension: built('extension') };
/** Writes both modules' generated files (core at `file`, extension beside it), `bins` overriding the intact builds. */
const writeModules = (file, bins = {}) => {
  writeWasmModule(file, bins.core ?? good.core, 'core');
  writeWasmModule(extensionFile(file), bins.extension ?? good.extension, 'extension');
};
const allKernelTests = readdirSync(join(root, 'test', 'kernels')).filter((f) => f.endsWith('.test.ts') && f !== 'registry.test.ts');
const missed = [];
const t0 = Date.now();
{
  // Control: the intact binaries through the same override must pass, else "caught" would mean nothing.
  const dir = mkdtempSync(join(tmpdir(), 'camkit-break-control-'));
  try {
    writeModules(join(dir, 'wasm.ts'));
    if (runTests([`test/kernels/${kernels[0].name}.test.ts`], join(dir, 'wasm.ts'))) {
      console.error(`control failed: test/kernels/${kernels[0].name}.test.ts fails on the intact build through CAMKIT_WASM_MODULE`);
      process.exit(1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
for (const fn of kernels) {
  for (const build of builds) {
    const dir = mkdtempSync(join(tmpdir(), `camkit-break-${fn.name}-${build}-`));
    try {
      cpSync(join(root, 'assembly'), join(dir, 'assembly'), { recursive: true });
      for (const m of Object.values(MODULES)) cpSync(join(root, m.config), join(dir, m.config));
      const file = join(dir, 'assembly', `${fn.name}.ts`);
      writeFileSync(file, breakExport(readFileSync(file, 'utf8'), fn, build));
      const wasm = join(dir, 'wasm.ts');
      // Only the broken target is compiled; the other one is the project's own build.
      writeModules(wasm, { [fn.module]: { ...good[fn.module], [build]: compileTarget(dir, build, fn.module) } });
      const own = `test/kernels/${fn.name}.test.ts`;
      let caught = runTests([own], wasm) ? own : null;
      if (!caught) {
        const rest = [...allKernelTests.filter((f) => f !== `${fn.name}.test.ts`).map((f) => `test/kernels/${f}`), 'test/render'];
        caught = runTests(rest, wasm) ? 'test/kernels + test/render' : null;
      }
      console.log(`${fn.name.padEnd(24)} ${build.padEnd(7)} ${caught ? `caught by ${caught}` : 'NOT CAUGHT'}`);
      if (!caught) missed.push(`${fn.name} (${build})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.log(`${kernels.length * builds.length} broken builds in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (missed.length) {
  console.error(`no test failed for: ${missed.join(', ')}`);
  process.exit(1);
}
