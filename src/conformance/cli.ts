// `camkit conformance FILE [--methods A,B] [--kernels simd|scalar|js] [--backend cpu|wasm] [--model-format layers|graph]`:
// argument parsing and I/O around runner.ts, kept apart so tests can run it in-process.
import { readFileSync } from 'node:fs';
import { CamkitError, NameError, OptionError } from '../errors.js';
import { createRuntime, getRuntime, KERNEL_CHOICES, type KernelsChoice } from '../runtime/init.js';
import { parseGolden } from './golden.js';
import { formatLine, MODEL_FORMATS, resolveMethods, runConformance, summary, type ModelFormat, type Tally } from './runner.js';

export const USAGE = 'usage: conformance FILE [--methods A,B,...] [--kernels auto|simd|scalar|js] [--backend cpu|wasm [--model-format layers|graph]]';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

interface Args {
  file: string;
  methods?: string[];
  kernels: KernelsChoice;
  backend?: string;
  modelFormat?: ModelFormat;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Partial<Args> = { kernels: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let val: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) [arg, val] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const value = () => {
      const v = val ?? argv[++i];
      if (v === undefined || v === '') throw new OptionError(`${arg} needs a value. ${USAGE}`);
      return v;
    };
    if (arg === '--methods') a.methods = value().split(',').filter((s) => s.trim() !== '');
    else if (arg === '--kernels') a.kernels = value() as KernelsChoice;
    else if (arg === '--backend') a.backend = value();
    else if (arg === '--model-format') a.modelFormat = value() as ModelFormat;
    else if (arg.startsWith('-')) throw new NameError('option', arg, ['--methods', '--kernels', '--backend', '--model-format']);
    else if (a.file === undefined) a.file = arg;
    else throw new OptionError(`unexpected argument ${arg}. ${USAGE}`);
  }
  if (a.file === undefined) throw new OptionError(`no file given. ${USAGE}`);
  if (a.modelFormat !== undefined) {
    if (!(MODEL_FORMATS as readonly string[]).includes(a.modelFormat)) throw new NameError('model format', a.modelFormat, MODEL_FORMATS);
    if (a.backend === undefined) throw new OptionError(`--model-format runs the models: give --backend too. ${USAGE}`);
  }
  return a as Args;
}

/** Runs the CLI; returns the exit code (0 all passed, 1 a check failed, 2 bad arguments or file). */
export async function conformanceCli(argv: readonly string[], io: CliIO): Promise<number> {
  const t: Tally = { passed: 0, failed: 0, skipped: 0 };
  try {
    const args = parseArgs(argv);
    if (args.methods) resolveMethods(args.methods);
    if (!KERNEL_CHOICES.includes(args.kernels)) throw new NameError('kernels choice', args.kernels, KERNEL_CHOICES);
    const runtime = args.kernels === 'auto' ? await getRuntime() : await createRuntime(args.kernels);
    let text: string;
    try {
      text = readFileSync(args.file, 'utf8');
    } catch (e) {
      throw new CamkitError('E_FILE', `cannot read ${args.file}: ${(e as Error).message}`);
    }
    const golden = parseGolden(text, args.file);
    text = '';
    for await (const l of runConformance(golden, { runtime, methods: args.methods, backend: args.backend, modelFormat: args.modelFormat })) {
      io.out(formatLine(l));
      if (l.status === 'PASS') t.passed++;
      else if (l.status === 'FAIL') t.failed++;
      else t.skipped++;
    }
  } catch (e) {
    io.err(`conformance: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  io.out(summary(t));
  return t.failed > 0 ? 1 : 0;
}
