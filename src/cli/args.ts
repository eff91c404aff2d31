// A small argv parser: `--name value`, `--name=value`, boolean flags, positionals. Unknown options
// are errors (with a suggestion), so a typo never silently changes what runs.
import { NameError, OptionError } from '../errors.js';

export interface Parsed {
  positionals: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[]): Parsed {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const all = [...valued, ...flags];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) throw new NameError('option', a, all.map((o) => `--${o}`));
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (valued.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`Option --${name} needs a value.`);
      options.set(name, v);
    } else if (flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`Option --${name} takes no value.`);
      options.set(name, true);
    } else throw new NameError('option', `--${name}`, all.map((o) => `--${o}`));
  }
  return { positionals, options };
}

/** Bad command-line usage (exit 1, one line). */
/** A command line that cannot be run as written (E_OPTION). */
export class UsageError extends OptionError {}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function int(p: Parsed, name: string, dflt: number, min = 1): number {
  const v = str(p, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'.`);
  return n;
}

/** `WxH` → [width, height]. */
export function size(v: string | undefined): [number, number] | null {
  if (v === undefined) return null;
  const m = /^(\d+)[xX×](\d+)$/.exec(v.trim());
  const w = m ? Number(m[1]) : NaN, h = m ? Number(m[2]) : NaN;
  if (!m || w < 1 || h < 1 || w > 8192 || h > 8192) throw new UsageError(`--size must be WxH with 1 ≤ W, H ≤ 8192 (e.g. 224x224), got '${v}'.`);
  return [w, h];
}
