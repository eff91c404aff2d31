// The default model's Grad-CAM points at the right shape: pointing game ≥ 0.9 on the 200-image
// benchmark set of `camkit eval`, with Zhang et al.'s tolerance (the default) and strictly (the arg
// max inside a box of the target class).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/capture/index.js';
import { EVAL_SEED } from '../../src/cli/eval.js';
import { defaultModelDir, loadModelFromDisk } from '../../src/cli/io.js';
import { setBackend } from '../../src/cli/options.js';
import { makeShapeSet } from '../../src/cli/shapes.js';
import { confidenceChange, energyPointingGame, pointingGame } from '../../src/metrics/index.js';

describe('default model', () => {
  it('Grad-CAM pointing game ≥ 0.9 on 200 synthetic images, and beats an inverted map', async () => {
    await setBackend('wasm');
    const { model, targetLayer } = await loadModelFromDisk(defaultModelDir());
    const n = 200;
    const set = makeShapeSet(n, EVAL_SEED);
    const targets = set.map((im) => im.objects[0].classIndex);
    const boxes = set.map((im, i) => im.objects.filter((o) => o.classIndex === targets[i]).map((o) => o.box));
    const x = tf.tensor4d(Float32Array.from(set.flatMap((im) => Array.from(im.pixels))), [n, 64, 64, 3]);
    const before = tf.memory().numTensors;
    const r = await explain(model, x, { method: 'GradCAM', layer: targetLayer, target: targets });
    const pg = await pointingGame(r, boxes);
    expect(pg.tolerance).toBeCloseTo((15 * 64) / 224, 6);
    expect(pg.accuracy).toBeGreaterThanOrEqual(0.9);
    expect((await pointingGame(r, boxes, { tolerance: 0 })).accuracy).toBeGreaterThanOrEqual(0.9);
    const inverted = { ...r, map: r.map.map((v) => 1 - v) };
    expect((await pointingGame(inverted, boxes)).accuracy).toBeLessThan(0.2);
    const en = await energyPointingGame(r, boxes);
    expect(en.energy).toBeGreaterThan((await energyPointingGame(inverted, boxes)).energy);
    // keeping the image where the map is hot keeps more of the target's probability than the inverse
    const cc = await confidenceChange(model, x, r, { targets, scores: 'sigmoid' });
    const ci = await confidenceChange(model, x, inverted, { targets, scores: 'sigmoid' });
    expect(cc.averageDrop).toBeLessThan(ci.averageDrop);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
