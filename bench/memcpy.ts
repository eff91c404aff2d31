// The bandwidth ceiling: `memory.copy` inside a tiny wasm module written out byte by byte here, so
// the shipped kernels carry no benchmark-only export. 64 MiB → 64 MiB leaves every cache level, so
// this is the DRAM/L3 copy rate that the large (1024²) kernels are compared against.

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const str = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/** (module (memory (export "memory") pages) (func (export "copy") (param i32 i32 i32) memory.copy)) */
export function memcpyModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const body = [0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0a, 0x00, 0x00, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]),
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, ...leb(pages)]),
    ...section(7, [0x02, ...str('copy'), 0x00, 0x00, ...str('memory'), 0x02, 0x00]),
    ...section(10, [0x01, body.length, ...body]),
  ]);
}

export interface Memcpy {
  copy: () => void;
  memory: WebAssembly.Memory;
  /** Throws unless dst equals src (so the timed copy really happened). */
  check: () => void;
}

export async function memcpyBench(bytes: number): Promise<Memcpy> {
  const pages = Math.ceil((2 * bytes) / 65536) + 1;
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(memcpyModuleBytes(pages)));
  const x = instance.exports as { copy: (d: number, s: number, n: number) => void; memory: WebAssembly.Memory };
  const src = 65536;
  const dst = src + bytes;
  // Touch every page of both halves first, so the first timed copy does not pay for page faults.
  const u32 = new Uint32Array(x.memory.buffer, src, bytes / 4);
  for (let i = 0; i < u32.length; i++) u32[i] = Math.imul(i, 2654435761);
  new Uint8Array(x.memory.buffer, dst, bytes).fill(1);
  return {
    copy: () => x.copy(dst, src, bytes),
    memory: x.memory,
    check: () => {
      const a = new Uint32Array(x.memory.buffer, src, bytes / 4);
      const b = new Uint32Array(x.memory.buffer, dst, bytes / 4);
      for (let i = 0; i < a.length; i += 4099) if (a[i] !== b[i]) throw new Error(`memcpy: word ${i} was not copied`);
      if (a[a.length - 1] !== b[b.length - 1]) throw new Error('memcpy: the last word was not copied');
    },
  };
}
