// The docs: README stays short, every relative link (and #anchor) in README.md and docs/*.md leads
// somewhere, the generated tables are current (npm run docs:methods / docs:bench), the README's target
// table names every target the golden v2 file stores, and the API reference has a page per entry point.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT, generate, methodTable } from '../scripts/docs.js';
import { METHODS } from '../src/methods/registry.js';
import { GOLDEN_V2_PATH } from './helpers/golden.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const DOCS = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const PAGES = ['README.md', 'CHANGELOG.md', ...DOCS];

/** The text without fenced code blocks (their lines blanked, so line numbers stay). */
function prose(md: string): string {
  let fence: string | null = null;
  return md
    .split('\n')
    .map((line) => {
      const m = /^\s*(```+|~~~+)/.exec(line);
      if (m) {
        if (fence === null) fence = m[1][0];
        else if (m[1][0] === fence) fence = null;
        return '';
      }
      return fence === null ? line : '';
    })
    .join('\n');
}

/** GitHub's anchor for a heading text. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(md).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const k = seen.get(base) ?? 0;
    out.add(k ? `${base}-${k}` : base);
    seen.set(base, k + 1);
  }
  return out;
}

/** [text](target) and ![alt](target) outside code, with their line numbers. */
function links(md: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  prose(md).split('\n').forEach((line, i) => {
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1], line: i + 1 });
  });
  return out;
}

describe('docs', () => {
  it('README.md has at most 300 lines', () => {
    const lines = read('README.md').split('\n').length;
    expect(lines).toBeLessThanOrEqual(300);
  });

  it('there are at least five guide pages in docs/', () => {
    for (const p of ['capture', 'widget', 'cli', 'metrics', 'conventions', 'performance', 'shipping', 'errors']) {
      expect(existsSync(join(ROOT, `docs/${p}.md`)), `docs/${p}.md`).toBe(true);
    }
  });

  it('every relative link in README.md, CHANGELOG.md and docs/*.md resolves, anchors included', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      const md = read(page);
      for (const { target, line } of links(md)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        checked++;
        const [pathPart, hash] = target.split('#', 2);
        const file = pathPart ? join(ROOT, dirname(page), decodeURIComponent(pathPart)) : join(ROOT, page);
        const where = `${page}:${line} → ${target}`;
        if (!existsSync(file)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (hash !== undefined && hash !== '') {
          if (statSync(file).isDirectory() || !file.endsWith('.md')) continue;
          if (!anchors(readFileSync(file, 'utf8')).has(hash)) broken.push(`${where} (no heading #${hash} in ${relative(ROOT, file)})`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });

  it('the link checker sees a broken file link and a broken anchor', () => {
    const md = 'See [a](docs/nope.md) and [b](#nowhere).\n\n```\n[c](ignored-in-code.md)\n```\n## A heading (with `code`, 81 KB)\n';
    expect(links(md).map((l) => l.target)).toEqual(['docs/nope.md', '#nowhere']);
    expect([...anchors(md)]).toEqual(['a-heading-with-code-81-kb']);
  });

  it('the generated blocks are current (npm run docs:methods, npm run docs:bench)', () => {
    const stale = [...generate()].filter(([p, text]) => read(p) !== text).map(([p]) => p);
    expect(stale, `stale: ${stale.join(', ')}; regenerate with npm run docs:methods / npm run docs:bench`).toEqual([]);
  });

  it('the method table lists every registered method, each once', () => {
    const table = methodTable();
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)![1])).toEqual(METHODS.map((m) => m.name));
    expect(read('README.md')).toContain(table);
  });

  it('the README target table names every target stored in the golden v2 file', () => {
    const file = GOLDEN_V2_PATH;
    expect(existsSync(file), `${file} (the shared golden data)`).toBe(true);
    const golden = JSON.parse(readFileSync(file, 'utf8')) as {
      cases: { target?: { type?: string } | null; targets?: Record<string, unknown> | null; methods?: Record<string, { target_used?: string } | null> | null }[];
    };
    const names = new Set<string>();
    for (const c of golden.cases) {
      if (c.target?.type) names.add(c.target.type);
      for (const k of Object.keys(c.targets ?? {})) names.add(k);
      for (const m of Object.values(c.methods ?? {})) {
        const used = m?.target_used && /^([A-Z][A-Za-z]+Target)\b/.exec(m.target_used);
        if (used) names.add(used[1]);
      }
    }
    expect(names.size).toBeGreaterThanOrEqual(8);
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Targets'), readme.indexOf('\n## ', readme.indexOf('## Targets') + 1));
    const mapped = new Set([...section.matchAll(/^\| `([^`]+)` \| `[a-zA-Z]+\(/gm)].map((m) => m[1]));
    expect([...names].filter((n) => !mapped.has(n)).sort()).toEqual([]);
  });

  it('the API reference has a page per entry point (npm run docs:api)', () => {
    for (const e of ['camkit', 'camkit/capture', 'camkit/metrics', 'camkit/mapfile', 'camkit/widget']) {
      expect(existsSync(join(ROOT, 'docs/api', e, 'README.md')), `docs/api/${e}/README.md`).toBe(true);
    }
    expect(read('docs/api/camkit/capture/functions/explain.md')).toMatch(/explain/);
  });
});
