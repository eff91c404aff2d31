// A small hierarchy with stable codes. Every check that can fail runs before any allocation.

export type ErrorCode =
  | 'E_SHAPE' // shapes or ranks that do not fit together
  | 'E_EMPTY' // a zero-sized dimension
  | 'E_DTYPE' // not float32
  | 'E_NONFINITE' // NaN or ±Inf in an input (or a result that overflows float32)
  | 'E_MISSING' // a required input is absent (gradients for a gradient method, scores for Score-CAM…)
  | 'E_VALUE' // a finite input value outside its domain (a zero score a method divides by)
  | 'E_OPTION' // an option with an invalid value, or options that contradict each other
  | 'E_DISPOSED' // a disposed tensor
  | 'E_MEMORY' // the buffers would pass the configured wasm memory maximum
  | 'E_UNKNOWN_NAME' // unknown method, colormap, backend, layer, kernels choice
  | 'E_TARGET' // a target class out of range
  | 'E_MODEL' // no gradient path, async-only graph, missing backend kernel
  | 'E_FILE' // unreadable, corrupt, truncated or unsupported file
  | 'E_INIT' // init failed or the requested kernels cannot run here
  | 'E_ABORTED'; // stopped by an AbortSignal

export class CamkitError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad shapes, ranks, dtypes, values or disposed tensors. */
export class InputError extends CamkitError {}
/** An option with an invalid value (a negative batch size, a mode that does not exist for it), or two options that exclude each other. */
export class OptionError extends CamkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_OPTION', message, options);
  }
}
/** An unknown name; `suggestions` holds the closest valid names. */
export class NameError extends CamkitError {
  readonly suggestions: string[];
  /** `message` replaces the default "Unknown <kind> '<name>'. Did you mean …? Valid: …." */
  constructor(kind: string, name: string, valid: readonly string[], message?: string) {
    const suggestions = closest(name, valid);
    const hint = suggestions.length ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?` : '';
    super('E_UNKNOWN_NAME', message ?? `Unknown ${kind} '${name}'.${hint} Valid: ${valid.join(', ')}.`);
    this.suggestions = suggestions;
  }
}
/** The buffers a call needs would exceed the wasm memory maximum. */
export class MemoryLimitError extends CamkitError {}
/** Model problems: no gradient path, async-only GraphModel, missing backend kernel, bad target. */
export class ModelError extends CamkitError {}
/** Unreadable, corrupt, truncated or unsupported files. */
export class FileError extends CamkitError {}
/** The work was stopped through an AbortSignal. */
export class AbortError extends CamkitError {
  constructor(message = 'The operation was aborted.') {
    super('E_ABORTED', message);
  }
}

/** Valid names within a small edit distance (case-insensitive), nearest first. */
export function closest(name: string, valid: readonly string[], max = 2): string[] {
  const n = name.toLowerCase();
  const scored = valid
    .map((v) => ({ v, d: editDistance(n, v.toLowerCase()) }))
    .filter(({ v, d }) => d <= Math.max(2, Math.floor(v.length / 3)) || v.toLowerCase().includes(n) || (n.length > 2 && n.includes(v.toLowerCase())))
    .sort((a, b) => a.d - b.d);
  return scored.slice(0, max).map((s) => s.v);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
