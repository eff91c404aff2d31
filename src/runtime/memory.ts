// The one owner of kernel memory. Each call plans all of its buffers up front with `take`, which
// grows the wasm memory at most once and then builds every view, so no view can be detached by a
// later growth within the call. Nothing survives between calls except the arena itself, which is
// reused from its base on the next `take`. In 'js' mode the same plan runs over an ArrayBuffer.
import { MemoryLimitError } from '../errors.js';

const PAGE = 65536;
const ALIGN = 64;
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;

const alignUp = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

export interface ArenaViews {
  f: Float32Array[];
  u: Uint8Array[];
}

export class Arena {
  readonly maxBytes: number;
  /** The wasm memory every module of this runtime imports (core and extension kernels); null for the twins. */
  readonly memory: WebAssembly.Memory | null;
  private readonly base: number;
  private jsBuffer: ArrayBuffer | null = null;

  constructor(opts: { memory?: WebAssembly.Memory; base?: number; maxBytes?: number }) {
    this.memory = opts.memory ?? null;
    this.base = alignUp(opts.base ?? 0);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  }

  /** Bytes currently reserved (wasm memory size, or the JS scratch buffer). */
  get byteLength(): number {
    return this.memory ? this.memory.buffer.byteLength : (this.jsBuffer?.byteLength ?? 0);
  }

  /** Whether `buffer` is this arena's memory (a view on it would be overwritten by the next call). */
  owns(buffer: ArrayBufferLike): boolean {
    return buffer === (this.memory ? this.memory.buffer : this.jsBuffer);
  }

  /** Bytes a plan of `f32` float counts and `u8` byte counts needs, base included. */
  planBytes(f32: readonly number[], u8: readonly number[] = []): number {
    let bytes = this.base;
    for (const n of f32) bytes += alignUp(n * 4);
    for (const n of u8) bytes += alignUp(n);
    return bytes;
  }

  /** Throws MemoryLimitError when the plan cannot fit; call before any other allocation. */
  check(f32: readonly number[], u8: readonly number[] = []): number {
    const bytes = this.planBytes(f32, u8);
    if (!Number.isFinite(bytes) || bytes > this.maxBytes) {
      throw new MemoryLimitError(
        'E_MEMORY',
        `This call needs ${fmt(bytes)} of kernel memory, more than the maximum of ${fmt(this.maxBytes)}; ` +
          `use smaller inputs or raise it with init({ maxMemoryBytes }).`,
      );
    }
    return bytes;
  }

  /** Reserves one call's buffers: views in the order asked for, zero-initialisation not guaranteed. */
  take(f32: readonly number[], u8: readonly number[] = []): ArenaViews {
    const bytes = this.check(f32, u8);
    const buffer = this.ensure(bytes);
    let off = this.base;
    const f = f32.map((n) => {
      const v = new Float32Array(buffer, off, n);
      off += alignUp(n * 4);
      return v;
    });
    const u = u8.map((n) => {
      const v = new Uint8Array(buffer, off, n);
      off += alignUp(n);
      return v;
    });
    return { f, u };
  }

  private ensure(bytes: number): ArrayBuffer {
    if (this.memory) {
      const have = this.memory.buffer.byteLength;
      if (bytes > have) {
        try {
          this.memory.grow(Math.ceil((bytes - have) / PAGE));
        } catch (cause) {
          throw new MemoryLimitError('E_MEMORY', `WebAssembly memory could not grow to ${fmt(bytes)}.`, { cause });
        }
      }
      return this.memory.buffer as ArrayBuffer;
    }
    if (!this.jsBuffer || this.jsBuffer.byteLength < bytes) this.jsBuffer = new ArrayBuffer(Math.ceil(bytes / PAGE) * PAGE);
    return this.jsBuffer;
  }
}

function fmt(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${bytes} B`;
}
