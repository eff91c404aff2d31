// The CLI on real third-party models from npm packages, loaded from their model.json paths as a user
// types them: a grayscale GraphModel (@vladmandic/human `emotion`, input [-1, 64, 64, 1]), and
// `camkit layers` on a LayersModel and GraphModels.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createAdapter } from '../../src/capture/adapter.js';
import { explain } from '../../src/capture/index.js';
import { loadModelFromDisk } from '../../src/cli/io.js';
import { parseMapJson } from '../../src/render/mapfile.js';
import { drawFace, facePng } from '../helpers/face.js';
import { tinyGraphModel } from '../helpers/tinygraph.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EMOTION = join(ROOT, 'node_modules/@vladmandic/human/models/emotion.json');
const work = mkdtempSync(join(tmpdir(), 'camkit-models-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = runCli;

describe('a grayscale model: camkit explain face.png --model …/emotion.json', () => {
  const face = join(work, 'face.png');
  beforeAll(() => writeFileSync(face, facePng(64)));

  it('writes the overlay and maps, and the map equals explain() on the luma tensor (pixels/255) within 1e-3', async () => {
    const out = join(work, 'emotion-out');
    const r = await cli(['explain', face, '--model', EMOTION, '--out', out, '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [e] = JSON.parse(r.stdout).results;
    for (const f of ['face.GradCAM.png', 'face.GradCAM.map.json', 'face.GradCAM.map.png', 'face.input.png', 'index.html', 'results.json', 'results.csv']) expect(existsSync(join(out, f)), f).toBe(true);
    const cliMap = parseMapJson(readFileSync(join(out, 'face.GradCAM.map.json'), 'utf8'));
    expect([cliMap.width, cliMap.height]).toEqual([64, 64]);

    // the reference: luma (BT.601) of the same pixels / 255, computed here with tf ops, through explain()
    await tf.setBackend('wasm');
    const model = await tf.loadGraphModel(tf.io.fromMemory({
      modelTopology: JSON.parse(readFileSync(EMOTION, 'utf8')).modelTopology,
      weightSpecs: JSON.parse(readFileSync(EMOTION, 'utf8')).weightsManifest[0].weights,
      weightData: new Uint8Array(readFileSync(EMOTION.replace(/\.json$/, '.bin'))).buffer,
    }));
    const img = drawFace(64);
    const x = tf.tidy(() => {
      const rgba = tf.tensor4d(Float32Array.from(img.data), [1, 64, 64, 4]);
      const rgb = rgba.slice([0, 0, 0, 0], [1, 64, 64, 3]);
      return rgb.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true).div(255);
    });
    const ref = await explain(model, x, {});
    x.dispose();
    model.dispose();
    expect(ref.classIndex[0]).toBe(e.target);
    let maxd = 0;
    for (let i = 0; i < 64 * 64; i++) maxd = Math.max(maxd, Math.abs(ref.map[i] - cliMap.values[i]));
    expect(maxd).toBeLessThanOrEqual(1e-3);
    expect(Math.max(...cliMap.values)).toBeGreaterThan(0.99);
  });

  it('a face at another size is fitted to 64×64 and drawn back at its own size; --preprocess -1-1 changes the input', async () => {
    writeFileSync(join(work, 'big-face.png'), facePng(150, 120));
    const out = join(work, 'emotion-big');
    const a = await cli(['explain', join(work, 'big-face.png'), '--model', EMOTION, '--out', out, '--json', '--quiet', '--method', 'gradcam,scorecam']);
    const b = await cli(['explain', join(work, 'big-face.png'), '--model', EMOTION, '--out', join(work, 'emotion-big-11'), '--json', '--quiet', '--preprocess', '-1-1']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ra = JSON.parse(a.stdout).results, rb = JSON.parse(b.stdout).results;
    expect(ra.map((e: { method: string }) => e.method)).toEqual(['GradCAM', 'ScoreCAM']);
    for (const e of ra) expect([e.width, e.height]).toEqual([150, 120]);
    expect(rb[0].score).not.toBeCloseTo(ra[0].score, 4);
  });
});

describe('camkit layers', () => {
  async function layersJson(model?: string) {
    const r = await cli(['layers', ...(model ? ['--model', model] : []), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout).layers as Array<{ name: string; shape: number[] | null; kind: string; default: boolean }>;
  }

  it('on the bundled LayersModel: every layer, shapes for one image, exactly one default (classes.json targetLayer)', async () => {
    const rows = await layersJson();
    expect(Object.keys(rows[0]).sort()).toEqual(['default', 'kind', 'name', 'shape']);
    expect(rows.filter((r) => r.default).map((r) => r.name)).toEqual(['last_conv']);
    const last = rows.find((r) => r.name === 'last_conv')!;
    expect(last.kind).toBe('Conv2D');
    expect(last.shape).toHaveLength(4);
    expect(last.shape![0]).toBe(1);
    const { model } = await loadModelFromDisk(join(ROOT, 'models/default'));
    expect(rows.map((r) => r.name)).toEqual(createAdapter(model).layerNames());
    model.dispose();
  });

  it('on a GraphModel from its NAME.json path: nodes with ops and dry-run shapes, exactly one default = the automatic choice', async () => {
    const rows = await layersJson(EMOTION);
    const defaults = rows.filter((r) => r.default);
    expect(defaults).toHaveLength(1);
    await tf.setBackend('wasm');
    const { model } = await loadModelFromDisk(EMOTION);
    const x = tf.zeros([1, 64, 64, 1]);
    expect(defaults[0].name).toBe(createAdapter(model).defaultLayer(x));
    x.dispose();
    model.dispose();
    expect(defaults[0].shape).toEqual([1, 8, 8, 7]);
    expect(rows.some((r) => r.kind === 'DepthwiseConv2dNative')).toBe(true);
  });

  it('on a hand-built GraphModel written to disk; the text form marks the default', async () => {
    const dir = join(work, 'tiny');
    mkdirSync(dir, { recursive: true });
    await tf.setBackend('cpu');
    const g = await tinyGraphModel();
    await g.save(
      tf.io.withSaveHandler(async (a) => {
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] }));
        writeFileSync(join(dir, 'w.bin'), new Uint8Array(a.weightData as ArrayBuffer));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    g.dispose();
    const rows = await layersJson(dir);
    expect(rows.filter((r) => r.default).map((r) => r.name)).toEqual(['g/relu']);
    const t = await cli(['layers', '--model', dir, '--backend', 'cpu']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^\* g\/relu +Relu +\[1, 6, 8, 6\] +← default$/m);
    expect(t.stdout.match(/← default/g)).toHaveLength(1);
  });
});

describe('--output: a two-head model (heatmap head first, class head second)', () => {
  const dir = join(work, 'twohead');
  const img = join(work, 'twohead.png');
  let model: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const x = tf.input({ shape: [16, 16, 3], name: 'image' });
    const trunk = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'trunk', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
    const hc = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'heat_conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(trunk) as tf.SymbolicTensor;
    const heat = tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'sigmoid', name: 'heat', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(hc) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(trunk) as tf.SymbolicTensor;
    const cls = tf.layers.dense({ units: 3, name: 'cls', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(gap) as tf.SymbolicTensor;
    model = tf.model({ inputs: x, outputs: [heat, cls] });
    mkdirSync(dir, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] }));
        writeFileSync(join(dir, 'w.bin'), new Uint8Array(a.weightData as ArrayBuffer));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    writeFileSync(img, facePng(16));
  });
  afterAll(() => model?.dispose());

  it('camkit layers marks the layer explain picks for the chosen output (the trunk both heads share); an unknown output fails', async () => {
    const bad = await cli(['layers', '--model', dir, '--backend', 'cpu', '--output', '2', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/0 'heat', 1 'cls'/);
    for (const o of ['heat', 'cls', '1']) {
      const r = await cli(['layers', '--model', dir, '--backend', 'cpu', '--output', o, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).layers.filter((l: { default: boolean }) => l.default).map((l: { name: string }) => l.name)).toEqual(['trunk']);
    }
  });

  it('camkit explain --output cls equals explain(model, x, { output: "cls" }); an unknown output fails before writing, naming the outputs', async () => {
    const out = join(work, 'twohead-out');
    const r = await cli(['explain', img, '--model', dir, '--backend', 'cpu', '--output', 'cls', '--target', '2', '--out', out, '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cliMap = parseMapJson(readFileSync(join(out, 'twohead.GradCAM.map.json'), 'utf8'));
    const face = drawFace(16);
    const x = tf.tidy(() => tf.tensor4d(Float32Array.from(face.data), [1, 16, 16, 4]).slice([0, 0, 0, 0], [1, 16, 16, 3]).div(255));
    const ref = await explain(model, x, { output: 'cls', target: 2 });
    x.dispose();
    expect(ref.layer).toBe('trunk');
    let d = 0;
    for (let i = 0; i < ref.map.length; i++) d = Math.max(d, Math.abs(ref.map[i] - cliMap.values[i]));
    expect(d).toBeLessThan(1e-3);
    const bad = join(work, 'twohead-bad');
    const e = await cli(['explain', img, '--model', dir, '--backend', 'cpu', '--output', 'clss', '--out', bad, '--quiet']);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/clss.*'heat', 'cls'|Did you mean 'cls'/);
    expect(existsSync(bad)).toBe(false);
  });
});
