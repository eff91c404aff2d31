// The CLI run in-process, as the tests see it: its exit code and what it wrote to stdout and stderr
// (optionally from another working directory).
import { vi } from 'vitest';
import { main } from '../../src/cli/camkit.js';

export async function runCli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const dir = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(args);
    return { code, stderr: err.join(''), stdout: out.join('') };
  } finally {
    process.chdir(dir);
    e.mockRestore();
    o.mockRestore();
  }
}
