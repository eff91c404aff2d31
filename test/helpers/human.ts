// Real third-party models and a real photo, offline, from the @vladmandic/human package (MIT, a dev
// dependency pinned at 3.3.6):
//   models/centernet          MobileNetV3 CenterNet object detector (COCO, 80 classes), input [1, 512, 512, 3]
//                             0–255; outputs tower_0/wh, tower_0/keypoints (class heatmaps, sigmoid,
//                             [1, 128, 128, 80]) and tower_0/detections ([1, 100, 6]: x1, y1, x2, y2 in
//                             input pixels, score, class; decoded in-graph by top-k, before NMS).
//   models/movenet-lightning  MoveNet single-pose keypoints, int32 input [1, 192, 192, 3] 0–255; output
//                             [1, 1, 17, 3] (y, x, score), decoded in-graph from the keypoint heatmaps
//                             (node StatefulPartitionedCall/Sigmoid, [1, 48, 48, 17]) by arg-max and GatherNd.
//   models/emotion            grayscale facial-expression classifier, input [-1, 64, 64, 1] in [−1, 1]
//                             (human: RGB in [0, 1] → 0.2989 R + 0.587 G + 0.114 B → (g − 0.5)·2), 7 classes.
//   assets/samples.jpg        the package's collage of sample photos (1280×1158): a row of thumbnails
//                             (a person standing on white; a woman; a man at a dinner table…) above a
//                             group photo.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import * as tf from '@tensorflow/tfjs';

// The package's exports map hides its files, so the directory is resolved from the repo root.
const ROOT = fileURLToPath(new URL('../../node_modules/@vladmandic/human', import.meta.url));

export const HUMAN_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export type HumanModel = 'centernet' | 'movenet-lightning' | 'emotion';

/** One of the package's GraphModels, from its model.json and weight file (no network). */
export function humanModel(name: HumanModel): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(ROOT, 'models', `${name}.json`), 'utf8')) as {
    modelTopology: object;
    signature?: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(ROOT, 'models', p))));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      signature: json.signature,
    } as tf.io.ModelArtifacts),
  );
}

let photo: { width: number; height: number; data: Uint8Array } | null = null;

/** assets/samples.jpg decoded once (RGB). */
export function samplesPhoto(): { width: number; height: number; data: Uint8Array } {
  photo ??= jpeg.decode(readFileSync(join(ROOT, 'assets', 'samples.jpg')), { useTArray: true, formatAsRGBA: false }) as { width: number; height: number; data: Uint8Array };
  return photo;
}

/** Regions of samples.jpg used by the tests: [top, left, height, width] in its pixels. */
export const SAMPLES = {
  /** A woman standing, full body, on a white background. */
  standing: [0, 0, 160, 156],
  /** A man at a dinner table, a glass in front of him. */
  dinner: [0, 324, 160, 216],
  /** Faces with some margin. */
  faceWoman: [0, 188, 84, 84],
  faceMan: [0, 405, 84, 84],
} as const satisfies Record<string, readonly [number, number, number, number]>;

/** A region of the photo resized (bilinear, half-pixel) to [H, W]: [1, H, W, 3] float32 in 0–255. */
export function photoCrop(region: readonly [number, number, number, number], H: number, W: number): tf.Tensor4D {
  const [y0, x0, h, w] = region;
  const p = samplesPhoto();
  const px = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) px[(y * w + x) * 3 + k] = p.data[((y0 + y) * p.width + x0 + x) * 3 + k];
  return tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(px, [1, h, w, 3]), [H, W], false, true));
}

/** human's emotion preprocessing: RGB 0–255 → grayscale in [−1, 1], [N, 64, 64, 1]. */
export function emotionInput(rgb255: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.mul(tf.sub(tf.sum(tf.mul(tf.div(rgb255, 255), [0.2989, 0.587, 0.114]), 3, true), 0.5), 2) as tf.Tensor4D);
}

export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
export const MOVENET_KEYPOINTS = ['nose', 'leftEye', 'rightEye', 'leftEar', 'rightEar', 'leftShoulder', 'rightShoulder', 'leftElbow', 'rightElbow', 'leftWrist', 'rightWrist', 'leftHip', 'rightHip', 'leftKnee', 'rightKnee', 'leftAnkle', 'rightAnkle'];

/** Index of the largest value. */
export function argmax(a: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
}
