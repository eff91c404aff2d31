// `camkit layers [--model PATH] [--json]`: every name --layer accepts, with its output shape for one
// image and its kind (the layer class of a LayersModel, the op of a GraphModel node), and the layer
// `camkit explain` uses when --layer is not given marked as the default (classes.json's targetLayer,
// else the adapter's automatic choice: the last 4-D feature map).
import * as tf from '@tensorflow/tfjs';
import { createAdapter } from '../capture/adapter.js';
import { parseArgs, size, str } from './args.js';
import { loadModelArg, outputArg, setBackend } from './options.js';

export const LAYERS_OPTS = ['model', 'output', 'backend', 'size'];
export const LAYERS_FLAGS = ['json', 'help'];

export interface LayerRow {
  name: string;
  shape: (number | null)[] | null;
  kind: string;
  default: boolean;
}

export async function cmdLayers(argv: string[], usage: string): Promise<void> {
  const p = parseArgs(argv, LAYERS_OPTS, LAYERS_FLAGS);
  if (p.options.has('help')) return void process.stdout.write(usage);
  const given = size(str(p, 'size'));
  await setBackend(str(p, 'backend'));
  const { loaded, name } = await loadModelArg(p);
  const x = (() => {
    const [H, W] = loaded.inputSize ?? (given ? [given[1], given[0]] : [224, 224]);
    return tf.zeros([1, H, W, loaded.channels]);
  })();
  let rows: LayerRow[];
  try {
    const a = createAdapter(loaded.model, { output: outputArg(p, loaded) ?? undefined });
    let dflt: string | null = loaded.targetLayer ?? null;
    if (dflt === null) {
      try {
        dflt = a.defaultLayer(x);
      } catch {
        dflt = null; // no 4-D feature map: nothing is marked
      }
    }
    // shapes for one image: a LayersModel's static batch dimension (null) is shown as 1, like a dry run's
    rows = a.describeLayers(x).map((l) => ({ name: l.name, shape: l.shape ? l.shape.map((d, i) => (i === 0 && d === null ? 1 : d)) : null, kind: l.kind, default: l.name === dflt }));
  } finally {
    x.dispose();
    loaded.model.dispose();
  }
  if (p.options.has('json')) {
    process.stdout.write(JSON.stringify({ layers: rows }) + '\n');
    return;
  }
  const shapeText = (s: LayerRow['shape']) => (s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '?');
  const wName = Math.max(5, ...rows.map((r) => r.name.length));
  const wKind = Math.max(4, ...rows.map((r) => r.kind.length));
  const lines = rows.map((r) => `${r.default ? '*' : ' '} ${r.name.padEnd(wName)}  ${r.kind.padEnd(wKind)}  ${shapeText(r.shape)}${r.default ? '   ← default' : ''}`);
  const src = loaded.targetLayer ? 'targetLayer in classes.json' : 'the last 4-D feature map';
  process.stdout.write(
    `${name}: ${loaded.kind === 'graph' ? 'GraphModel' : 'LayersModel'}, input ${loaded.inputSize ? `${loaded.inputSize[0]}×${loaded.inputSize[1]}` : 'any size'} × ${loaded.channels} channel${loaded.channels > 1 ? 's' : ''}, ${rows.length} ${loaded.kind === 'graph' ? 'nodes' : 'layers'}\n` +
      `  ${'layer'.padEnd(wName)}  ${'kind'.padEnd(wKind)}  output shape (one image)\n${lines.join('\n')}\n` +
      (rows.some((r) => r.default) ? `* the default of camkit explain (${src}); choose another with --layer NAME\n` : 'No 4-D feature map found: choose one with --layer NAME.\n'),
  );
}
