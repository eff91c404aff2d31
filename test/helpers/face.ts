// A face drawn by code (no photo involved): a skin-toned oval on a grey background with eyebrows,
// eyes, a nose and a smiling mouth, anti-aliased by 4×4 supersampling. Deterministic; used as the
// "face.png" of the grayscale-model CLI tests.
import { PNG } from 'pngjs';

export function drawFace(width = 64, height = width): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4);
  const skin = [224, 172, 140], bg = [110, 118, 128], dark = [40, 30, 30], lip = [170, 60, 70], white = [245, 245, 245];
  // shapes in unit coordinates (0..1 across the image), later ones painted over earlier ones
  const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
  const colour = (x: number, y: number): number[] => {
    let c = bg;
    if (inEllipse(x, y, 0.5, 0.52, 0.33, 0.42)) c = skin;
    for (const ex of [0.37, 0.63]) {
      if (inEllipse(x, y, ex, 0.42, 0.075, 0.045)) c = white;
      if (inEllipse(x, y, ex, 0.42, 0.03, 0.035)) c = dark;
      if (Math.abs(y - (0.33 - 0.02 * Math.cos((x - ex) * 20))) < 0.015 && Math.abs(x - ex) < 0.08) c = dark; // eyebrow
    }
    if (Math.abs(x - 0.5) < 0.025 && y > 0.45 && y < 0.6) c = [200, 140, 115]; // nose
    const smile = 0.72 - 2.2 * (x - 0.5) ** 2;
    if (Math.abs(x - 0.5) < 0.15 && y > smile - 0.015 && y < smile + 0.04 - 1.5 * Math.abs(x - 0.5) * 0.2) c = lip;
    return c;
  };
  const S = 4;
  for (let py = 0; py < height; py++)
    for (let px = 0; px < width; px++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const c = colour((px + (sx + 0.5) / S) / width, (py + (sy + 0.5) / S) / height);
          for (let k = 0; k < 3; k++) acc[k] += c[k];
        }
      const o = (py * width + px) * 4;
      for (let k = 0; k < 3; k++) data[o + k] = Math.round(acc[k] / (S * S));
      data[o + 3] = 255;
    }
  return { width, height, data };
}

export function facePng(width = 64, height = width): Uint8Array {
  const f = drawFace(width, height);
  const p = new PNG({ width: f.width, height: f.height });
  p.data = f.data;
  return PNG.sync.write(p);
}
