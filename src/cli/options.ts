// Options shared by `camkit explain` and `camkit eval`: method names, backend, model loading.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CamkitError, NameError } from '../errors.js';
import { DEFAULT_METHOD, METHODS, METHOD_NAMES, methodDescriptor, unsupportedReason } from '../methods/registry.js';
import type { ModelCapabilities } from '../methods/types.js';
import type { Parsed } from './args.js';
import { str, UsageError } from './args.js';
import { defaultModelDir, loadModelFromDisk, type LoadedModel } from './io.js';
import { createAdapter } from '../capture/adapter.js';

/** `--method` value → canonical names: a comma-separated list of names or aliases, or 'all' (every registered method). */
export function parseMethods(v: string | undefined, dflt: readonly string[] = [DEFAULT_METHOD.name]): string[] {
  if (v === undefined) return [...dflt];
  if (v.trim().toLowerCase() === 'all') return [...METHOD_NAMES];
  const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError('--method needs at least one method name (or all).');
  return [...new Set(names.map((s) => methodDescriptor(s).name))];
}

/** The methods of a list that can run as heatmaps on a model, and the others with the reason. */
export function runnable(names: readonly string[], caps: ModelCapabilities = {}): { run: string[]; skipped: { method: string; reason: string }[] } {
  const run: string[] = [];
  const skipped: { method: string; reason: string }[] = [];
  for (const n of names) {
    const reason = unsupportedReason(methodDescriptor(n), caps);
    if (reason) skipped.push({ method: n, reason });
    else run.push(n);
  }
  return { run, skipped };
}

/** --help's method list: every registered method, the default marked, wrapped and indented for the usage text. */
export function methodHelp(indent = 24, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const m of METHODS) {
    const item = (m === DEFAULT_METHOD ? `${m.name} (default)` : m.name) + (m === METHODS[METHODS.length - 1] ? '' : ',');
    if (line && indent + line.length + 1 + item.length > width) {
      lines.push(line);
      line = item;
    } else line = line ? `${line} ${item}` : item;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

export async function setBackend(name: string | undefined): Promise<string> {
  const b = name ?? 'wasm';
  if (b !== 'wasm' && b !== 'cpu') throw new NameError('backend', b, ['wasm', 'cpu']);
  // PROD silences tfjs's "install tfjs-node" banner, which would otherwise mix into --json runs' stderr
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(b))) throw new CamkitError('E_INIT', `The ${b} backend failed to initialise.`);
  await tf.ready();
  return b;
}

export async function loadModelArg(p: Parsed): Promise<{ loaded: LoadedModel; name: string }> {
  const path = str(p, 'model');
  const loaded = await loadModelFromDisk(path ?? defaultModelDir());
  return { loaded, name: path ?? 'camkit default (models/default)' };
}

/** Throttled progress lines on stderr for long methods (Score-CAM, Ablation-CAM…): at most one a second. */
export function progress(label: string): (p: { done: number; total: number }) => void {
  let last = performance.now();
  return ({ done, total }) => {
    const now = performance.now();
    if (now - last < 1000 || done >= total) return;
    last = now;
    process.stderr.write(`${label}: ${done}/${total}\n`);
  };
}

/**
 * --output NAME|I: the model output explain() differentiates (digits are an index). Checked against the
 * model now, so an unknown name fails before any file is written, with the outputs listed.
 */
export function outputArg(p: Parsed, loaded: LoadedModel): string | number | null {
  const text = str(p, 'output');
  if (text === undefined) return null;
  const output = /^\d+$/.test(text) ? Number(text) : text;
  createAdapter(loaded.model, { output });
  return output;
}
