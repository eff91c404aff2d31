// Runtime selection. init() compiles the inlined wasm once (asynchronously: browsers refuse large
// synchronous compiles on the main thread) and picks SIMD, else scalar, else the TypeScript twins,
// by actually instantiating: WebAssembly.validate() answers yes even when a Content-Security-Policy
// forbids compilation. No work happens at import.
import { CamkitError, NameError } from '../errors.js';
import { WASM_PACKED, WASM_SCALAR_BYTES, WASM_SIMD_BYTES } from '../generated/wasm.js';
import { buildKernelSet, type KernelSet } from '../kernels/registry.js';
import type { KernelFlavor, WasmExports } from '../kernels/types.js';
import { Arena, DEFAULT_MAX_MEMORY_BYTES } from './memory.js';

export type KernelsChoice = KernelFlavor | 'auto';
export const KERNEL_CHOICES: readonly KernelsChoice[] = ['auto', 'simd', 'scalar', 'js'];

export interface InitOptions {
  /** Force a kernel flavor; 'auto' (default) takes the fastest one that instantiates. */
  kernels?: KernelsChoice;
  /** Ceiling for camkit's own wasm memory, in bytes (default 256 MiB). */
  maxMemoryBytes?: number;
  /** Called once when wasm cannot run and camkit falls back (default: console.warn). */
  onFallback?: (message: string) => void;
}

export interface Runtime {
  readonly kernels: KernelSet;
  readonly arena: Arena;
  readonly flavor: KernelFlavor;
}

export interface InitInfo {
  kernels: KernelFlavor;
  maxMemoryBytes: number;
  /** Why a faster flavor was skipped, when it was. */
  fallbackReason?: string;
}

const WASM32_MAX_PAGES = 65536;
let current: Runtime | null = null;
let currentInfo: InitInfo | null = null;
let pending: Promise<InitInfo> | null = null;
let pendingKey = '';
let warned = false;

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const U8 = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> };
  if (typeof U8.fromBase64 === 'function') return U8.fromBase64(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The inlined modules are zlib-deflated (smaller bundles); engines without DecompressionStream use the twins. */
async function inflate(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof DecompressionStream === 'undefined') throw new Error('DecompressionStream is not available to unpack the wasm');
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The compiled modules of one inlined pair (scalar, then SIMD, in one deflate stream), inflated once on
 * first use and compiled once per flavor. A failure (CSP, no SIMD) is not cached, so a later call can
 * try again. The core kernels use one; the extension kernels (runtime/extension.ts) another.
 */
export function moduleCompiler(packed: string, scalarBytes: number, simdBytes: number): (flavor: 'simd' | 'scalar') => Promise<WebAssembly.Module> {
  const modules = new Map<'simd' | 'scalar', Promise<WebAssembly.Module>>();
    let unpacked: Promise<Uint8Array<ArrayBuffer>> | null = null;
  const unpack = (): Promise<Uint8Array<ArrayBuffer>> => {
    unpacked ??= inflate(decode(packed)).then((b) => {
      if (b.length !== scalarBytes + simdBytes) throw new Error(`the inlined wasm unpacked to ${b.length} bytes, not ${scalarBytes + simdBytes}`);
      return b;
    });
    unpacked.catch(() => (unpacked = null));
    return unpacked;
  };
  return (flavor) => {
    let m = modules.get(flavor);
    if (!m) {
      m = unpack().then((b) => WebAssembly.compile(flavor === 'simd' ? b.subarray(scalarBytes) : b.subarray(0, scalarBytes)));
      m.catch(() => modules.delete(flavor));
      modules.set(flavor, m);
    }
    return m;
  };
}

const compile = moduleCompiler(WASM_PACKED, WASM_SCALAR_BYTES, WASM_SIMD_BYTES);

async function instantiate(flavor: 'simd' | 'scalar', maxBytes: number): Promise<Runtime> {
  if (typeof WebAssembly === 'undefined') throw new Error('WebAssembly is not available in this environment');
  const module = await compile(flavor);
  // wasm32 memory ends at 65536 pages (4 GiB); a larger ceiling used to fail here and fall back to JS.
  const pages = Math.min(WASM32_MAX_PAGES, Math.max(1, Math.floor(maxBytes / 65536)));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: pages });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const x = instance.exports as unknown as WasmExports;
  return { kernels: buildKernelSet(flavor, x), arena: new Arena({ memory, base: x.heap_base(), maxBytes: Math.min(maxBytes, pages * 65536) }), flavor };
}

function jsRuntime(maxBytes: number): Runtime {
  return { kernels: buildKernelSet('js'), arena: new Arena({ maxBytes }), flavor: 'js' };
}

async function select(choice: KernelsChoice, maxBytes: number, onFallback?: (m: string) => void): Promise<InitInfo> {
  const info = (rt: Runtime, fallbackReason?: string): InitInfo => {
    current = rt;
    currentInfo = { kernels: rt.flavor, maxMemoryBytes: maxBytes, ...(fallbackReason ? { fallbackReason } : {}) };
    return currentInfo;
  };
  if (choice === 'js') return info(jsRuntime(maxBytes));
  if (choice === 'simd' || choice === 'scalar') {
    try {
      return info(await instantiate(choice, maxBytes));
    } catch (cause) {
      throw new CamkitError('E_INIT', `The ${choice} kernels cannot run here: ${String((cause as Error)?.message ?? cause)}`, { cause });
    }
  }
  const reasons: string[] = [];
  for (const flavor of ['simd', 'scalar'] as const) {
    try {
      return info(await instantiate(flavor, maxBytes), reasons.join('; ') || undefined);
    } catch (e) {
      reasons.push(`${flavor}: ${String((e as Error)?.message ?? e)}`);
    }
  }
  const csp = reasons.some((r) => /Content Security Policy|unsafe-eval|CSP/i.test(r));
  const msg =
    `camkit: WebAssembly is unavailable, using the slower TypeScript kernels` +
    (csp ? ` (add 'wasm-unsafe-eval' to the page's script-src to enable them)` : '') +
    `. ${reasons.join('; ')}`;
  if (onFallback) onFallback(msg);
  else if (!warned) {
    warned = true;
    console.warn(msg);
  }
  return info(jsRuntime(maxBytes), reasons.join('; '));
}

/**
 * Prepares the kernels. Idempotent: concurrent and repeated calls share one result. Passing a
 * different `kernels` or `maxMemoryBytes` than the active runtime switches to it.
 */
export function init(opts: InitOptions = {}): Promise<InitInfo> {
  const choice = opts.kernels ?? 'auto';
  if (!KERNEL_CHOICES.includes(choice)) return Promise.reject(new NameError('kernels choice', String(choice), KERNEL_CHOICES));
  const maxBytes = opts.maxMemoryBytes ?? currentInfo?.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  if (!(maxBytes >= 65536) || !Number.isFinite(maxBytes)) {
    return Promise.reject(new CamkitError('E_INIT', `maxMemoryBytes must be a finite number of bytes ≥ 65536, got ${maxBytes}.`));
  }
  const key = `${choice}|${maxBytes}`;
  if (pending && pendingKey === key) return pending;
  if (!pending && currentInfo && (choice === 'auto' || choice === currentInfo.kernels) && maxBytes === currentInfo.maxMemoryBytes) {
    return Promise.resolve(currentInfo);
  }
  pendingKey = key;
  const p = select(choice, maxBytes, opts.onFallback).finally(() => {
    if (pending === p) pending = null;
  });
  pending = p;
  return p;
}

/** A private runtime of one flavor, independent of init()'s global choice (tests, benchmarks, workers). */
export async function createRuntime(flavor: KernelFlavor, maxBytes = DEFAULT_MAX_MEMORY_BYTES): Promise<Runtime> {
  return flavor === 'js' ? jsRuntime(maxBytes) : instantiate(flavor, maxBytes);
}

/** The active kernel flavor, or null before init(). */
export function activeKernels(): KernelFlavor | null {
  return current?.flavor ?? null;
}

/** The active runtime; runs init() with defaults first when needed. */
export async function getRuntime(): Promise<Runtime> {
  if (pending) await pending;
  if (!current) await init();
  return current!;
}

/** The active runtime, synchronously; throws when init() has not completed. */
export function runtimeSync(): Runtime {
  if (!current) throw new CamkitError('E_INIT', 'camkit is not initialised: await init() first.');
  return current;
}
