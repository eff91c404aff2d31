// Minimal types for pngjs (it ships none): only the sync reader/writer the CLI and scripts use.
declare module 'pngjs' {
  export class PNG {
    constructor(opts?: { width?: number; height?: number });
    width: number;
    height: number;
    data: Uint8Array;
    static sync: {
      read(buffer: Uint8Array, opts?: Record<string, unknown>): { width: number; height: number; data: Uint8Array };
      write(png: PNG, opts?: Record<string, unknown>): Uint8Array;
    };
  }
}
