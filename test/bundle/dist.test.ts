// Checks over the built bundles (npm run build first; CI builds before testing). Without dist/ the
// suite skips locally and fails in CI.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
// @ts-ignore -- plain .mjs script shared with `npm run size`
import { measure } from '../../scripts/check-size.mjs';

const root = join(import.meta.dirname, '..', '..');
const dist = join(root, 'dist');
const built = existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'camkit.widget.js'));
if (!built && process.env.CI === 'true') throw new Error('dist/ is missing: run `npm run build` before the tests.');

const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));

describe.skipIf(!built)('dist bundles', () => {
  it('size budgets (min+gzip): core ≤ 32 KB (every method of the second wave; their kernels load on demand), widget IIFE ≤ 32 KB', async () => {
    const rows = (await measure()) as { file: string; limit?: number; gz?: number; missing?: boolean }[];
    for (const r of rows.filter((r) => r.limit)) {
      expect(r.missing, `${r.file} missing`).toBeFalsy();
      expect(r.gz!, `${r.file}: ${r.gz} B`).toBeLessThanOrEqual(r.limit!);
    }
  });

  it('no eval, new Function or string timers in any bundle', () => {
    const js = walk(dist).filter((f) => /\.(c?js)$/.test(f));
    expect(js.length).toBeGreaterThan(3);
    for (const f of js) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.toMatch(/\beval\s*\(/);
      expect(src, f).not.toMatch(/new\s+Function\s*\(/);
      expect(src, f).not.toMatch(/\bset(?:Timeout|Interval)\s*\(\s*['"`]/);
    }
  });

  it('tfjs is never bundled; the core and widget never import it', () => {
    for (const f of ['index.js', 'index.cjs', 'widget.js', 'camkit.widget.js']) {
      expect(readFileSync(join(dist, f), 'utf8'), f).not.toMatch(/@tensorflow\//);
    }
    // The capture bundles refer to tfjs (as an import, or the page's tf global) and do not contain it.
    const cap = readFileSync(join(dist, 'camkit.capture.js'), 'utf8');
    expect(cap).toMatch(/\btf\b/);
    expect(cap.length).toBeLessThan(400_000);
    expect(readFileSync(join(dist, 'camkit.widget.js'), 'utf8')).toMatch(/^(?:\/\*[\s\S]*?\*\/\s*)?var camkit=/);
  });

  it('the extension kernels are a chunk of their own: loaded on demand from ESM and CJS, absent from the widget', async () => {
    const { WASM_EXT_PACKED } = await import('../../src/generated/wasm-ext.js');
    const probe = WASM_EXT_PACKED.slice(100, 160);
    for (const f of ['index.js', 'widget.js', 'camkit.widget.js']) expect(readFileSync(join(dist, f), 'utf8').includes(probe), f).toBe(false);
    expect(readFileSync(join(dist, 'camkit.capture.js'), 'utf8').includes(probe)).toBe(true);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const { createRequire } = await import('node:module');
      const run = async (m) => {
        const rt = await m.createRuntime('simd');
        const k = await m.loadExtension(rt);
        const { f: [w, th, a] } = rt.arena.take([2, 2, 6]);
        a.set([0, 0, 0, 1, 5, 2]);
        k.fem_weights(w, th, a, 1, 3, 2, 0.5);
        return [k.flavor, Array.from(w)];
      };
      const esm = await run(await import(${JSON.stringify(join(dist, 'index.js'))}));
      const cjs = await run(createRequire(import.meta.url)(${JSON.stringify(join(dist, 'index.cjs'))}));
      console.log(JSON.stringify({ esm, cjs }));
    `], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    // Column 0 [0,0,5]: mean 5/3, std 2.357, th 2.845 → one of three above; column 1 [0,1,2]: th 1.408 → one.
    expect(r.esm).toEqual(['simd', [Math.fround(1 / 3), Math.fround(1 / 3)]]);
    expect(r.cjs).toEqual(r.esm);
  });

  it('the npm entries load in Node: ESM and CJS core, the wasm kernels run', async () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const m = await import(${JSON.stringify(join(dist, 'index.js'))});
      const info = await m.init();
      const { createRequire } = await import('node:module');
      const c = createRequire(import.meta.url)(${JSON.stringify(join(dist, 'index.cjs'))});
      const px = m.renderHeatmapSync({ width: 2, height: 1, values: new Float32Array([0, 1]) });
      console.log(JSON.stringify({ kernels: info.kernels, cjs: typeof c.renderOverlay, px: Array.from(px.data) }));
    `], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.kernels).toBe('simd');
    expect(r.cjs).toBe('function');
    expect(r.px).toEqual([0, 0, 128, 255, 128, 0, 0, 255]);
  });

  it('publint and attw report nothing (npm run lint:pkg)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].import.types).toBe('./dist/index.d.ts');
    expect(Object.keys(pkg.exports['.'].import)[0]).toBe('types');
    expect(pkg.sideEffects).toEqual(['./dist/widget.js', './dist/camkit.widget.js', './dist/camkit.capture.js']);
    execFileSync('npm', ['run', '--silent', 'lint:pkg'], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
  }, 180_000);
});
