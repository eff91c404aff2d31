// The method registry is the one list: every method has its file and its line there, the CLI lists
// exactly these, and no method name is written out in quotes anywhere else in src/. The lookups
// themselves are tested in lookup.test.ts (which, unlike this file, runs under `npm run mutate`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_METHOD, METHODS } from '../../src/methods/registry.js';

const ROOT = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('method registry', () => {
  it('each method lives in its own file under src/methods and is listed in the registry', () => {
    const registry = readFileSync(join(ROOT, 'src/methods/registry.ts'), 'utf8');
    for (const m of METHODS) {
      const file = tsFiles(join(ROOT, 'src/methods')).find((f) => new RegExp(`export const ${m.name}\\b`).test(readFileSync(f, 'utf8')));
      expect(file, `${m.name} has no file exporting it`).toBeDefined();
      expect(registry).toMatch(new RegExp(`^  ${m.name},$`, 'm'));
    }
  });

  it('no method name or alias appears in quotes in src/**/*.ts outside src/methods (code, messages, comments)', () => {
    const words = METHODS.flatMap((m) => [m.name, ...m.aliases]);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // A name as a token (no letter or digit on either side, case-sensitive) anywhere inside a quoted span…
    const inside = new RegExp(`(['"\`])[^'"\`\\n]*(?<![A-Za-z0-9])(${words.map(esc).join('|')})(?![A-Za-z0-9])[^'"\`\\n]*\\1`);
    // …or a quoted string that is a name in any case ('gradcam').
    const exact = new RegExp(`(['"\`])(${words.map(esc).join('|')})\\1`, 'i');
    const hits: string[] = [];
    for (const f of tsFiles(join(ROOT, 'src'))) {
      const rel = relative(ROOT, f);
      if (rel.startsWith('src/methods/')) continue;
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        const m = inside.exec(line) ?? exact.exec(line);
        if (m) hits.push(`${rel}:${i + 1}: ${m[0]}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('camkit explain --help lists exactly the registry methods', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/camkit.ts'), 'explain', '--help'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes('--method'));
    const end = lines.findIndex((l, i) => i > at && /^\s+--/.test(l));
    // The method list starts on the line that names the default.
    const from = lines.findIndex((l, i) => i > at && l.includes('(default)'));
    const list = lines.slice(from, end).join(' ').trim().split(/,\s*/).map((s) => s.replace(/ \(default\)$/, ''));
    expect(list).toEqual(METHODS.map((m) => m.name));
    expect(r.stdout).toContain(`${DEFAULT_METHOD.name} (default)`);
  });
});
