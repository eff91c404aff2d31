// Plain data shapes shared by rendering, map files and the widget (no DOM types needed).

/** A final CAM map: row-major values in [0, 1], width × height. */
export interface CamMap {
  width: number;
  height: number;
  values: Float32Array;
}

/** RGBA8 pixels, row-major; the shape of ImageData, so an ImageData can be passed directly. */
export interface RGBAImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}
