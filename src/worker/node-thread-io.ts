// Model files from disk for the Node worker thread (file paths and file: URLs; http(s) goes to tfjs).
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** model.json and its weight shards from disk, concatenated in manifest order. */
export async function readArtifacts(url: string): Promise<Record<string, unknown> | null> {
  if (/^(https?|data|blob):/i.test(url)) return null;
  const file = url.startsWith('file:') ? fileURLToPath(url) : isAbsolute(url) ? url : join(process.cwd(), url);
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { weightsManifest?: { paths: string[]; weights: unknown[] }[] };
  const groups = json.weightsManifest ?? [];
  const shards = await Promise.all(groups.flatMap((g) => g.paths).map((p) => readFile(join(dirname(file), p))));
  const all = Buffer.concat(shards);
  const { weightsManifest: _, ...rest } = json;
  void _;
  return { ...rest, weightSpecs: groups.flatMap((g) => g.weights), weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

