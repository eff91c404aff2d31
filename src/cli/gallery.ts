// index.html for `camkit explain`: one row per image (the input, then each method's overlay).
export interface GalleryItem {
  image: string;
  input: string;
  cells: Array<{ method: string; overlay: string; mapJson: string; mapPng: string; className: string; target: number; score: number; ms: number }>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const url = (s: string) => esc(encodeURIComponent(s));

export function galleryHtml(items: readonly GalleryItem[], info: { model: string; backend: string; colormap: string }): string {
  const methods = [...new Set(items.flatMap((i) => i.cells.map((c) => c.method)))];
  const rows = items
    .map((it) => {
      const cells = methods
        .map((m) => {
          const c = it.cells.find((x) => x.method === m);
          if (!c) return '<td></td>';
          return `<td><a href="${url(c.overlay)}"><img src="${url(c.overlay)}" alt="${esc(m)} on ${esc(it.image)}"></a><br><small>${esc(c.className)} ${c.score.toFixed(3)} · <a href="${url(c.mapJson)}">json</a> · <a href="${url(c.mapPng)}">png16</a> · ${c.ms.toFixed(0)} ms</small></td>`;
        })
        .join('');
      return `<tr><th><img src="${url(it.input)}" alt="${esc(it.image)}"><br><small>${esc(it.image)}</small></th>${cells}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camkit explain</title>
<style>body{font:14px system-ui,sans-serif;margin:1em}table{border-collapse:collapse}td,th{padding:4px;text-align:center;vertical-align:top;border:1px solid #ddd}
img{width:160px;image-rendering:pixelated}small{color:#555}</style></head><body>
<h1>camkit explain</h1>
<p>Model: ${esc(info.model)} · backend: ${esc(info.backend)} · colormap: ${esc(info.colormap)}. Each cell: the class explained, its score (model output), the map files and the time per image.</p>
<table><tr><th>input</th>${methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>
${rows}
</table></body></html>
`;
}
