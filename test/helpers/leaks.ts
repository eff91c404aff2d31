// The tensor-leak assertion of the metrics tests (test/helpers/tfmodels.ts's noLeak reports the count instead).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Runs `fn` and expects tf.memory().numTensors unchanged afterwards, whether it returns or throws. */
export async function expectNoLeak<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  try {
    return await fn();
  } finally {
    expect(tf.memory().numTensors).toBe(before);
  }
}
