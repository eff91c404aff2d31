// The kernel registries (src/kernels/registry.ts for the core module, src/kernels/extension-registry.ts
// for the extension module) are the one list of kernels. Every kernel named there has its
// AssemblyScript export in both builds of its module, its twin in src/kernels/, its test file and its
// bench rows; and nothing of the kind exists outside the lists. src/kernels/abi.ts (the typed wasm ABI) is current.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { kernelDescriptors as coreDescriptors } from '../../src/kernels/registry.js';
import { extensionDescriptors } from '../../src/kernels/extension-registry.js';
import { WASM_EXPORTS, WASM_EXT_EXPORTS } from '../../src/kernels/abi.js';
import type { KernelDescriptor, WasmExports } from '../../src/kernels/types.js';
import { WASM_PACKED, WASM_SCALAR_BYTES } from '../../src/generated/wasm.js';
import { WASM_EXT_PACKED, WASM_EXT_SCALAR_BYTES } from '../../src/generated/wasm-ext.js';
import { allCases } from '../../bench/workloads.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kernelDescriptors = { ...coreDescriptors, ...extensionDescriptors };
type KernelName = keyof typeof kernelDescriptors;
const names = Object.keys(kernelDescriptors) as KernelName[];
const coreNames = Object.keys(coreDescriptors);
const extNames = Object.keys(extensionDescriptors);
/** Exports that are not kernels. */
const NOT_KERNELS = ['heap_base'];
/** Bench workloads named before kernels were one per file; the row names are fixed (bench/results.json). */
const BENCH_PREFIX: Partial<Record<KernelName, string>> = { scorecam_masks: 'scorecam-masks/', fuse_guided: 'fuse/' };

/** The function exports of the SIMD and scalar builds of one inlined module pair (as instantiated). */
function moduleExports(packed = WASM_PACKED, scalarBytes = WASM_SCALAR_BYTES): Record<'simd' | 'scalar', string[]> {
  const bytes = inflateSync(Buffer.from(packed, 'base64'));
  const fns = (b: Uint8Array) => WebAssembly.Module.exports(new WebAssembly.Module(new Uint8Array(b))).filter((e) => e.kind === 'function').map((e) => e.name);
  return { scalar: fns(bytes.subarray(0, scalarBytes)), simd: fns(bytes.subarray(scalarBytes)) };
}

describe('kernel registry', () => {
  it('each descriptor is registered under its own name', () => {
    for (const [key, d] of Object.entries(kernelDescriptors)) expect(d.name, key).toBe(key);
  });

  it('every kernel is exported by both wasm builds of its module, and the builds export nothing else', () => {
    const modules = [
      { what: 'core', ex: moduleExports(), want: [...coreNames, ...NOT_KERNELS] },
      { what: 'extension', ex: moduleExports(WASM_EXT_PACKED, WASM_EXT_SCALAR_BYTES), want: extNames },
    ];
    for (const { what, ex, want } of modules) {
      for (const flavor of ['simd', 'scalar'] as const) expect([...ex[flavor]].sort(), `${what} ${flavor}`).toEqual([...want].sort());
    }
  });

  it('every kernel has assembly/<name>.ts exporting it, re-exported from its module\'s entry (index.ts or extension.ts)', () => {
    for (const [entry, list] of [['index', coreNames], ['extension', extNames]] as const) {
      const index = readFileSync(join(root, 'assembly', `${entry}.ts`), 'utf8');
      for (const n of list) {
        const file = join(root, 'assembly', `${n}.ts`);
        expect(existsSync(file), `assembly/${n}.ts`).toBe(true);
        expect(readFileSync(file, 'utf8'), `assembly/${n}.ts exports ${n}`).toMatch(new RegExp(`^export function ${n}\\s*\\(`, 'm'));
        expect(index, `assembly/${entry}.ts re-exports ./${n}`).toContain(`export * from "./${n}";`);
      }
    }
  });

  it('every kernel has its twin src/kernels/<name>.ts, and every twin file is a registered kernel', async () => {
    const files = readdirSync(join(root, 'src', 'kernels')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
    expect(files.filter((f) => !['registry', 'extension-registry', 'types', 'abi'].includes(f)).sort()).toEqual([...names].sort());
    for (const n of names) {
      const m = (await import(`../../src/kernels/${n}.ts`)) as Record<string, unknown>;
      expect(m[`${n}_kernel`], `src/kernels/${n}.ts exports ${n}_kernel`).toBe(kernelDescriptors[n]);
    }
  });

  it('every wasm binding calls the export of its own name', () => {
    for (const n of names) {
      const called: string[] = [];
      const x = new Proxy({}, { get: (_, k) => (...args: unknown[]) => (called.push(String(k)), args.length && 0) }) as WasmExports;
      const f = (kernelDescriptors[n] as unknown as KernelDescriptor<(...a: unknown[]) => unknown>).wasm(x);
      f(...new Array<null>(16).fill(null));
      expect(called, n).toEqual([n]);
    }
  });

  it('every kernel has test/kernels/<name>.test.ts, and every kernel test file is a registered kernel', () => {
    const extra = ['golden_kernels', 'registry'];
    const files = readdirSync(join(root, 'test', 'kernels')).filter((f) => f.endsWith('.test.ts')).map((f) => f.slice(0, -8));
    expect(files.filter((f) => !extra.includes(f)).sort()).toEqual([...names].sort());
  });

  it('every kernel has bench rows for simd, scalar and js in `npm run bench`', () => {
    const rows = allCases().map((c) => `${c.workload} ${c.impl}`);
    for (const n of names) {
      const prefix = BENCH_PREFIX[n] ?? `${n}/`;
      for (const impl of ['simd', 'scalar', 'js']) {
        expect(rows.some((r) => r.startsWith(prefix) && r.endsWith(` ${impl}`)), `a bench row ${prefix}… ${impl}`).toBe(true);
      }
    }
  });

  it('src/kernels/abi.ts is what scripts/gen-abi.mjs generates from assembly/, and lists the builds\' exports', () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'gen-abi.mjs'), '--check'], { cwd: root, stdio: 'pipe' });
    expect([...WASM_EXPORTS].sort()).toEqual([...coreNames, ...NOT_KERNELS].sort());
    expect([...WASM_EXT_EXPORTS].sort()).toEqual([...extNames].sort());
  });
});
