// Types of scripts/bench-table.mjs (plain Node script, also imported by scripts/docs.ts).
export interface BenchRow {
  workload: string;
  impl: string;
  median_ms: number;
  p10_ms: number;
  p90_ms: number;
  bytes: number;
  peak_wasm_bytes?: number;
  peak_heap_bytes?: number;
  samples?: number;
  note?: string;
  kernel_ms?: number;
}
export function ms(x: number): string;
export function benchMarkdown(rows: BenchRow[], opts?: { summary?: boolean; machine?: boolean }): string;
export function kernelTable(rows: BenchRow[]): string;
export function readRows(file: string): BenchRow[];
