// Generated parts of the docs. Each lives between two markers in a Markdown file:
//   <!-- generated:NAME (npm run docs:…) -->  …  <!-- /generated:NAME -->
// methods (README.md): the method table, from the registry (src/methods/registry.ts);
// bench-summary and bench-kernels (docs/performance.md) and docs/bench.md (whole file): from bench/results.json.
// Usage: tsx scripts/docs.ts [methods|bench]... [--check]   (no section: all; --check: exit 1 when a file is stale)
// test/docs.test.ts checks that every generated part is current.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, DEFAULT_METHOD } from '../src/methods/registry.js';
import type { MethodDescriptor, MethodNeed } from '../src/methods/types.js';
import { benchMarkdown, kernelTable, readRows } from './bench-table.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const NEED_TEXT: Record<MethodNeed, string> = {
  activations: 'A',
  gradients: 'G',
  classifierWeights: 'classifier weights',
  classIndex: 'class index',
  scores: 'scores',
  originalScore: 'original score',
};

function inputs(m: MethodDescriptor): string {
  const parts = m.needs.map((n) => NEED_TEXT[n]);
  const plan = m.explain;
  switch (plan.via) {
    case 'input-gradient': case 'guided-fusion': parts.push('input gradient'); break;
    case 'masks': parts.push('masked inputs'); break;
    case 'ablation': parts.push('ablated layer'); break;
    case 'noisy-gradients': parts.push('noisy inputs'); break;
    case 'rollout': parts.push(plan.weighting === 'gradient' ? 'attention probabilities and their gradients' : 'attention probabilities'); break;
    case 'second-order': parts.push('Hessian-vector product'); break;
    case 'refine': parts.push('several layers'); break;
    case 'bias-gradients': parts.push('input gradient, bias gradients'); break;
    case 'input-attribution': parts.push(plan.sampling === 'none' ? 'input gradient' : 'input gradients along samples'); break;
    case 'input-masks': parts.push('masked inputs'); break;
    default: break;
  }
  return [...new Set(parts)].join(', ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's method table: every registered method, in registry order. */
export function methodTable(): string {
  const rows = [
    '| method (aliases) | kind | inputs | runs in | what the map is | paper |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const m of METHODS) {
    const name = `\`${m.name}\`${m.aliases.length ? ` (${m.aliases.map((a) => `\`${a}\``).join(', ')})` : ''}`;
    const runs = [m.explain.via !== 'none' ? '`explain`' : '', m.cam ? '`computeCam`' : ''].filter(Boolean).join(', ');
    rows.push(`| ${name} | ${m.kind} | ${cell(inputs(m))} | ${runs} | ${cell(m.summary)} | ${cell(m.paper)} |`);
  }
  rows.push('');
  rows.push(`${METHODS.length} methods; the default is \`${DEFAULT_METHOD.name}\`. Names are case-insensitive and ignore \`-\`, \`_\` and spaces (\`++\` reads as \`PlusPlus\`). Inputs: A = the layer's activations, G = the target's gradients there.`);
  return rows.join('\n') + '\n';
}

const begin = (name: string, cmd: string) => `<!-- generated:${name} (${cmd}) -->`;
const end = (name: string) => `<!-- /generated:${name} -->`;

/** `text` with the block NAME replaced by `content`; throws when the markers are missing. */
export function replaceBlock(text: string, name: string, cmd: string, content: string): string {
  const b = begin(name, cmd), e = end(name);
  const i = text.indexOf(b), j = text.indexOf(e);
  if (i < 0 || j < i) throw new Error(`missing markers ${b} … ${e}`);
  return text.slice(0, i + b.length) + '\n' + content + text.slice(j);
}

export type Section = 'methods' | 'bench';

/** Every generated file of the sections: path (relative to ROOT) → its up-to-date text. */
export function generate(sections: readonly Section[] = ['methods', 'bench']): Map<string, string> {
  const out = new Map<string, string>();
  const read = (p: string) => out.get(p) ?? readFileSync(join(ROOT, p), 'utf8');
  if (sections.includes('methods')) {
    out.set('README.md', replaceBlock(read('README.md'), 'methods', 'npm run docs:methods', methodTable()));
  }
  if (sections.includes('bench')) {
    const rows = readRows(join(ROOT, 'bench/results.json'));
    let perf = read('docs/performance.md');
    perf = replaceBlock(perf, 'bench-summary', 'npm run docs:bench', benchMarkdown(rows, { summary: true, machine: false }));
    perf = replaceBlock(perf, 'bench-kernels', 'npm run docs:bench', kernelTable(rows));
    out.set('docs/performance.md', perf);
    out.set('docs/bench.md', [
      '# Benchmark rows',
      '',
      '<!-- Generated from bench/results.json by npm run docs:bench (scripts/docs.ts); do not edit. -->',
      '',
      'Every row of `bench/results.json` (`npm run bench -- --json bench/results.json`). The method, the',
      'machine and the summary: [performance.md](performance.md).',
      '',
      benchMarkdown(rows, { summary: false, machine: false }),
    ].join('\n'));
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const asked = args.filter((a) => !a.startsWith('--')) as Section[];
  for (const a of asked) if (a !== 'methods' && a !== 'bench') throw new Error(`unknown section ${a} (methods, bench)`);
  let stale = 0;
  for (const [p, text] of generate(asked.length ? asked : undefined)) {
    const now = readFileSync(join(ROOT, p), 'utf8');
    if (now === text) continue;
    if (check) {
      console.error(`${p} is stale: run npm run docs:${p === 'README.md' ? 'methods' : 'bench'}`);
      stale++;
    } else {
      writeFileSync(join(ROOT, p), text);
      console.log(`wrote ${p}`);
    }
  }
  if (stale) process.exit(1);
}
