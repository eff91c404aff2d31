// 256-entry colour tables, 768 RGB bytes each in this order, base64. Generated data:
// - jet: OpenCV COLORMAP_JET exactly (the MATLAB jet(256) keys clamp(1.5 − |4x − c|), x = k/255,
//   interpolated and rounded in float32 as cv::applyColorMap does; verified in test/kernels/colormap.test.ts).
// - parula: OpenCV COLORMAP_PARULA (its 9 MATLAB parula keys, same float32 pipeline).
// - viridis, inferno: matplotlib (CC0) 8-bit values. turbo: the degree-5 polynomial approximation
//   published with Google's Turbo (Apache-2.0), sampled at k/255 (it departs from the Turbo table near the ends). gray: k.
import { InputError, NameError } from '../errors.js';

export const COLORMAPS = ["jet","turbo","viridis","inferno","parula","gray"] as const;
export type ColormapName = (typeof COLORMAPS)[number];

const DATA =
  "AACAAACEAACIAACMAACQAACUAACYAACcAACgAACkAACoAACsAACwAAC0AAC4AAC8AADAAADEAADIAADMAADQAADUAADYAAD" +
  "cAADgAADkAADoAADsAADwAAD0AAD4AAD8AAD/AAT/AAj/AAz/ABD/ABT/ABj/ABz/ACD/ACT/ACj/ACz/ADD/ADT/ADj/ADz" +
  "/AED/AET/AEj/AEz/AFD/AFT/AFj/AFz/AGD/AGT/AGj/AGz/AHD/AHT/AHj/AHz/AID/AIT/AIj/AIz/AJD/AJT/AJj/AJz" +
  "/AKD/AKT/AKj/AKz/ALD/ALT/ALj/ALz/AMD/AMT/AMj/AMz/AND/ANT/ANj/ANz/AOD/AOT/AOj/AOz/APD/APT/APj/APz" +
  "/Av/+Bv/6Cv/2Dv/yEv/uFv/qGv/mHv/iIv/eJv/aKv/WLv/SMv/ONv/KOv/GPv/CQv++Rv+6Sv+2Tv+yUv+uVv+qWv+mXv+" +
  "iYv+eZv+aav+Wbv+Scv+Odv+Kev+Gfv+Cgv9+hv96iv92jv9ykv9ulv9qmv9mnv9iov9epv9aqv9Wrv9Ssv9Otv9Kuv9Gvv9" +
  "Cwv8+xv86yv82zv8y0v8u1v8q2v8m3v8i4v8e5v8a6v8W7v8S8v8O9v8K+v8G/v8B//wA//gA//QA//AA/+wA/+gA/+QA/+A" +
  "A/9wA/9gA/9QA/9AA/8wA/8gA/8QA/8AA/7wA/7gA/7QA/7AA/6wA/6gA/6QA/6AA/5wA/5gA/5QA/5AA/4wA/4gA/4QA/4A" +
  "A/3wA/3gA/3QA/3AA/2wA/2gA/2QA/2AA/1wA/1gA/1QA/1AA/0wA/0gA/0QA/0AA/zwA/zgA/zQA/zAA/ywA/ygA/yQA/yA" +
  "A/xwA/xgA/xQA/xAA/wwA/wgA/wQA/wAA/AAA+AAA9AAA8AAA7AAA6AAA5AAA4AAA3AAA2AAA1AAA0AAAzAAAyAAAxAAAwAA" +
  "AvAAAuAAAtAAAsAAArAAAqAAApAAAoAAAnAAAmAAAlAAAkAAAjAAAiAAAhAAAgAAAIxcbJxooKxwzLx4/MiBKNiNUOSVfOyd" +
  "oPipyQCx7Qi+DRDGLRTSTRjabSDmiSTyoST6vSkG1SkS7S0bAS0nFS0zKS07PS1HTSlTXSlbbSVneSVziSF/lR2HnRmTqRWf" +
  "sRGruRG3wQm/yQXLzQHX1P3j2Pnr3PX33PID4OoP5OYX5OIj5N4v5No35NZD4M5P4MpX3MZj3MJv2L531LqD0LaLzLKXxK6f" +
  "wKqrvKqztKa/sKLHqKLToJ7bmJ7jlJrvjJr3hJr/fJcHcJcPaJcbYJcjWJcrTJczRJc7PJtDMJtLKJtTIJ9bFJ9jDKNnAKdu" +
  "+Kd27Kt+4K+C2LOKzLeOxLuWuMOasMeipMummNOukNeyhN+2fOe+cOvCaPPGXPvKVQPOSQvSQRPWNRvaLSPeISveGTfiET/m" +
  "BUfp/VPp9Vvt6Wft4XPx2Xvx0Yf1xZP1vZv1taf1rbP1pb/5ncv5ldf5jeP5he/5ffv1dgf1chP1ah/1YivxWjfxVkPtTk/t" +
  "RlvpQmfpOnPlNn/hLovhKpvdIqfZHrPVGr/REsvNDtfJCuPFBu/A/vu8+we09w+w8xus7yek6zOg5z+c40eU31OM21+I12eA" +
  "03N8z3t0y4Nsy49kx5dcw59Uv6dQv7NIu7tAt8M4s8css88kr9ccr98Uq+MMp+sAp+74o/bwo/rkn/7cn/7Um/7Im/7Al/60" +
  "l/6sk/6gk/6Yj/6Mj/6Ai/54i/5sh/5kh/5Yh/5Mg/5Ag/44f/4sf/4ge/4Ue/4Md/4Ad/30d/3oc/3gc/3Ub/3Ib/28a/Ww" +
  "a/GoZ+mcZ+WQY92EY9l8Y9FwX8lkW8FcW7lQV7FEV6k8U6EwU5kkT5EcT4kQS30IS3T8R2j0Q2DoQ1TgP0zYP0DMOzjENyy8" +
  "NyS0MxioLwygLwSYKviQJuyMJuSEIth8HtB0HsRsGrxoFrBgFqhcEqBYEpRQDoxMCoRICnxEBnRAAmw8Amg4AmA4Alg0AlQw" +
  "AlAwAkwwAkgwAkQsAkQwAkAwAkAwAkAwARAFURAJWRQRXRQVZRgdaRghcRgpdRgteRw1gRw5hRxBjRxFkRxNlSBRnSBZoSBd" +
  "pSBhqSBpsSBttSBxuSB1vSB9wSCBxSCFzSCN0SCR1SCV2SCZ3SCh4SCl5Ryp6Ryx6Ry17Ry58Ry99RjB+RjJ+RjN/RjSARTW" +
  "BRTeBRTiCRDmDRDqDRDuEQz2EQz6FQj+FQkCGQkGGQUKHQUSHQEWIQEaIP0eIP0iJPkmJPkqJPkyKPU2KPU6KPE+KPFCLO1G" +
  "LO1KLOlOLOlSMOVWMOVaMOFiMOFmMN1qMN1uNNlyNNl2NNV6NNV+NNGCNNGGNM2KNM2ONMmSOMmWOMWaOMWeOMWiOMGmOMGq" +
  "OL2uOL2yOLm2OLm6OLm+OLXCOLXGOLHGOLHKOLHOOK3SOK3WOKnaOKneOKniOKXmOKXqOKXuOKHyOKH2OJ36OJ3+OJ4COJoG" +
  "OJoKOJoKOJYOOJYSOJYWOJIaOJIeOI4iOI4mOI4qNIouNIoyNIo2NIY6NIY+NIZCNIZGMIJKMIJKMIJOMH5SMH5WLH5aLH5e" +
  "LH5iLH5mKH5qKHpuKHpyJHp2JH56JH5+IH6CIH6GIH6GHH6KHIKOGIKSGIaWFIaaFIqeFIqiEI6mDJKqDJauCJayCJq2BJ62" +
  "BKK6AKa9/KrB/LLF+LbJ9LrN8L7R8MbV7MrZ6NLZ5Nbd5N7h4OLl3Orp2O7t1Pbx0P7xzQL1yQr5xRL9wRsBvSMFuSsFtTMJ" +
  "sTsNrUMRqUsVpVMVoVsZnWMdlWshkXMhjXsliYMpgY8tfZcteZ8xcac1bbM1abs5YcM9Xc9BWddBUd9FTetFRfNJQf9NOgdN" +
  "NhNRLhtVJidVIi9ZGjtZFkNdDk9dBldhAmNg+m9k8ndk7oNo5oto3pds2qNs0qtwyrdwwsN0vst0ttd4ruN4put4ovd8mwN8" +
  "lwt8jxeAhyOAgyuEfzeEd0OEc0uIb1eIa2OIZ2uMZ3eMY3+MY4uQY5eQZ5+QZ6uUa7OUb7+Uc8eUd9OYe9uYg+OYh++cj/ec" +
  "lAAAEAQAFAQEGAQEIAgEKAgIMAgIOAwIQBAMSBAMUBQQXBgQZBwUbCAUdCQYfCgciCwckDAgmDQgpDgkrEAktEQowEgoyFAs" +
  "0FQs3Fgs5GAw8GQw+GwxBHAxDHgxFHwxIIQxKIwxMJAxPJgxRKAtTKQtVKwtXLQtZLwpbMQpcMgpeNApfNglhOAliOQljOwl" +
  "kPQllPglmQApnQgpoRApoRQppRwtqSQtqSgxrTAxrTQ1sTw1sUQ5sUg5tVA9tVQ9tVxBuWRBuWhFuXBJuXRJuXxNuYRNuYhR" +
  "uZBVuZRVuZxZuaRZuahdubBhubRhubxlucRluchpudBpudRtudxxteBxteh1tfB1tfR5tfx5sgB9sgiBshCBrhSFrhyFriCJ" +
  "qiiJqjCNpjSNpjyRpkCVokiVokyZnlSZnlydmmCdmmihlmylknSlknypjoCpjoitioyxhpSxgpi1gqC5fqS5eqy9erTBdrjB" +
  "csDFbsTJaszJatDNZtjRYtzVXuTVWujZVvDdUvThTvzlSwDpRwTpQwztPxDxOxj1Nxz5MyD9LykBKy0FJzEJIzkNHz0RG0EV" +
  "F0kZE00dD1EhC1UpB10s/2Ew+2U092k4821A73VE63lI431M34FU24VY14lc041kz5Fox5Vww5l0v514u6GAt6WEr6mMq62Q" +
  "p62Yo7Gcm7Wkl7mok72wj724h8G8g8XEf8XMd8nQc83Yb83gZ9HkY9XsX9X0V9n4U9oAT94IS94QQ+IUP+IcO+IkM+YsL+Yw" +
  "K+Y4J+pAI+pIH+pQH+5YG+5cG+5kG+5sG+50H/J8H/KEI/KMJ/KUK/KYM/KgN/KoP/KwR/K4S/LAU/LIW/LQY+7Ya+7gd+7o" +
  "f+7wh+74j+sAm+sIo+sQq+sYt+ccv+cky+cs1+M03+M8699E999NA9tVD9tdG9dlJ9dtM9N1P9N9T9OFW8+Na8+Vd8uZh8uh" +
  "l8upp8ext8e1x8e918fF58vJ98vSC8/WG8/aK9PiO9fmS9vqW+Pua+fyd+v2h/P+kNSqHMyyKMi6NMC+PLzGSLTOVLDWYKje" +
  "bKDieJzqgJTyjJD6mIj+pIUGsH0OvHUWxHEe0Gki3GUq6F0y9Fk6/FFDCElHFEVPID1XLDlfODFjQC1rTCVzWCF7ZBmDcBGH" +
  "fA2PhBGThBGXgBWbgBWffBmjfBmrfB2veB2zeCG3dCG7dCW/cCXDcCnHcC3LbC3PbDHTaDHXaDXbaDXfZDnjZDnrYD3vYD3z" +
  "YEH3XEH7XEX/WEYDWEoHWE4LVE4PVFITUFIXUE4bTE4fTE4jTEorSEovSEYzREY3REI7QEI/QD5DQD5HPD5LPDpPODpTODZX" +
  "NDZbNDJfMDJjMDJrMC5vLC5zLCp3KCp7KCZ/JCaDJCKHICKLICKPIB6THB6XHBqbGB6fGCKjECqjDC6nCDanBDqq/EKu+Equ" +
  "9E6y7Fay6Fq25GK24Ga62G6+1Ha+0HrCzILCxIbGwI7GvJLKuJrOsKLOrKbSqK7SpLLWnLrWmL7alMbakM7eiNLihNrigN7m" +
  "fObmdPLmcP7mbQrqZRbqYSLqXSrqVTbqUULuTU7uRVruQWLuOW7uNXryMYbyKZLyJZ7yIabyGbLyFb72Ecr2Cdb2BeL2Aer1" +
  "+fb59gL58g756hr55iL54i792jr91kb90k79ylr9ymL9xmr5wnL5vn75uob5to75spb5rp71qqr1prL1orr1osL1ns71mtb1" +
  "lt7xkubxju7xivrxhwLxgwrxfxLtex7teybtdy7tczbtb0Lta0rtZ1LpY1rpX2LpW2rpV27tU3LxT3bxR3r1Q375P4L5O4r9" +
  "M479L5MBK5cFJ5sFH58JG6MNF6cND6sRC68VB7MVA7sY+78Y98Mc88cg78sg588k49Mo39co29ss098sz+cwy+s0x+80v/M4" +
  "u/M8t/NEs/NIr/NMq/NUp+9Yo+9gn+9km+9sl+9wk+90j+98i++Ah++Ig++Mf++Qe+uYd+ucc+ukb+uoa+usZ+u0Y+u4X+vA" +
  "W+vEV+vMU+fQT+fUS+fcR+fgQ+foP+fsOAAAAAQEBAgICAwMDBAQEBQUFBgYGBwcHCAgICQkJCgoKCwsLDAwMDQ0NDg4ODw8" +
  "PEBAQEREREhISExMTFBQUFRUVFhYWFxcXGBgYGRkZGhoaGxsbHBwcHR0dHh4eHx8fICAgISEhIiIiIyMjJCQkJSUlJiYmJyc" +
  "nKCgoKSkpKioqKysrLCwsLS0tLi4uLy8vMDAwMTExMjIyMzMzNDQ0NTU1NjY2Nzc3ODg4OTk5Ojo6Ozs7PDw8PT09Pj4+Pz8" +
  "/QEBAQUFBQkJCQ0NDRERERUVFRkZGR0dHSEhISUlJSkpKS0tLTExMTU1NTk5OT09PUFBQUVFRUlJSU1NTVFRUVVVVVlZWV1d" +
  "XWFhYWVlZWlpaW1tbXFxcXV1dXl5eX19fYGBgYWFhYmJiY2NjZGRkZWVlZmZmZ2dnaGhoaWlpampqa2trbGxsbW1tbm5ub29" +
  "vcHBwcXFxcnJyc3NzdHR0dXV1dnZ2d3d3eHh4eXl5enp6e3t7fHx8fX19fn5+f39/gICAgYGBgoKCg4ODhISEhYWFhoaGh4e" +
  "HiIiIiYmJioqKi4uLjIyMjY2Njo6Oj4+PkJCQkZGRkpKSk5OTlJSUlZWVlpaWl5eXmJiYmZmZmpqam5ubnJycnZ2dnp6en5+" +
  "foKCgoaGhoqKio6OjpKSkpaWlpqamp6enqKioqampqqqqq6urrKysra2trq6ur6+vsLCwsbGxsrKys7OztLS0tbW1tra2t7e" +
  "3uLi4ubm5urq6u7u7vLy8vb29vr6+v7+/wMDAwcHBwsLCw8PDxMTExcXFxsbGx8fHyMjIycnJysrKy8vLzMzMzc3Nzs7Oz8/" +
  "P0NDQ0dHR0tLS09PT1NTU1dXV1tbW19fX2NjY2dnZ2tra29vb3Nzc3d3d3t7e39/f4ODg4eHh4uLi4+Pj5OTk5eXl5ubm5+f" +
  "n6Ojo6enp6urq6+vr7Ozs7e3t7u7u7+/v8PDw8fHx8vLy8/Pz9PT09fX19vb29/f3+Pj4+fn5+vr6+/v7/Pz8/f39/v7+///" +
  "/";

let rgb: Uint8Array | null = null;

function table(): Uint8Array {
  if (!rgb) {
    const bin = atob(DATA);
    rgb = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) rgb[i] = bin.charCodeAt(i);
  }
  return rgb;
}

/**
 * The RGBA LUT (256 × 4 bytes, alpha 255) of a named colormap. With gamma ≠ 1 entry k holds the colour
 * of (k/255)^gamma, so the kernels apply torchcam's mask² look (gamma 2) on the quantised map as torchcam does.
 */
export function colormapLut(name: ColormapName | string, gamma = 1): Uint8Array {
  const m = COLORMAPS.indexOf(name as ColormapName);
  if (m < 0) throw new NameError('colormap', String(name), COLORMAPS);
  if (!(gamma > 0) || !Number.isFinite(gamma)) throw new InputError('E_NONFINITE', `gamma must be a finite number > 0, got ${gamma}.`);
  const t = table();
  const out = new Uint8Array(1024);
  for (let k = 0; k < 256; k++) {
    const j = gamma === 1 ? k : Math.min(255, Math.trunc(Math.fround(Math.pow(k / 255, gamma) * 255)));
    const s = m * 768 + j * 3;
    out[k * 4] = t[s];
    out[k * 4 + 1] = t[s + 1];
    out[k * 4 + 2] = t[s + 2];
    out[k * 4 + 3] = 255;
  }
  return out;
}
