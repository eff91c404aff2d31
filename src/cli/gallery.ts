// The gallery of `camkit explain` / `camkit merge`: index.html, index-2.html, … with `pageSize` images
// per page (one row per image: the input, then each method's overlay), lazy-loaded images and links to
// every page, so a run of 10,000 images stays quick to open and to browse.
export interface GalleryItem {
  image: string;
  input: string;
  cells: Array<{ method: string; overlay: string; mapJson: string; mapPng: string; className: string; target: number; score: number; ms: number }>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** A relative URL for a relative file path: each segment percent-encoded, '/' kept. */
const url = (s: string) => esc(s.split('/').map(encodeURIComponent).join('/'));

export const pageName = (k: number) => (k === 1 ? 'index.html' : `index-${k}.html`);

/** Links to the first, previous, nearby, next and last pages. */
function nav(k: number, pages: number): string {
  if (pages <= 1) return '';
  const near = new Set([1, pages, k - 2, k - 1, k, k + 1, k + 2].filter((p) => p >= 1 && p <= pages));
  const list = [...near].sort((a, b) => a - b);
  const parts: string[] = [];
  if (k > 1) parts.push(`<a href="${pageName(k - 1)}" rel="prev">‹ previous</a>`);
  list.forEach((p, i) => {
    if (i > 0 && p - list[i - 1] > 1) parts.push('…');
    parts.push(p === k ? `<strong>${p}</strong>` : `<a href="${pageName(p)}">${p}</a>`);
  });
  if (k < pages) parts.push(`<a href="${pageName(k + 1)}" rel="next">next ›</a>`);
  return `<nav>Page ${k} of ${pages}: ${parts.join(' ')}</nav>`;
}

export function galleryPages(items: readonly GalleryItem[], info: { model: string; backend: string; colormap: string }, pageSize = 100): Array<{ name: string; html: string }> {
  const methods = [...new Set(items.flatMap((i) => i.cells.map((c) => c.method)))];
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const out: Array<{ name: string; html: string }> = [];
  for (let k = 1; k <= pages; k++) {
    const first = (k - 1) * pageSize;
    const slice = items.slice(first, first + pageSize);
    const rows = slice
      .map((it) => {
        const cells = methods
          .map((m) => {
            const c = it.cells.find((x) => x.method === m);
            if (!c) return '<td></td>';
            return `<td><a href="${url(c.overlay)}"><img loading="lazy" src="${url(c.overlay)}" alt="${esc(m)} on ${esc(it.image)}"></a><br><small>${esc(c.className)} ${c.score.toFixed(3)} · <a href="${url(c.mapJson)}">json</a> · <a href="${url(c.mapPng)}">png16</a> · ${c.ms.toFixed(0)} ms</small></td>`;
          })
          .join('');
        return `<tr><th><img loading="lazy" src="${url(it.input)}" alt="${esc(it.image)}"><br><small>${esc(it.image)}</small></th>${cells}</tr>`;
      })
      .join('\n');
    const range = items.length ? `Images ${first + 1}–${first + slice.length} of ${items.length}.` : 'No images.';
    out.push({
      name: pageName(k),
      html: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camkit explain${pages > 1 ? ` (page ${k} of ${pages})` : ''}</title>
<style>body{font:14px system-ui,sans-serif;margin:1em}table{border-collapse:collapse}td,th{padding:4px;text-align:center;vertical-align:top;border:1px solid #ddd}
img{width:160px;image-rendering:pixelated}small{color:#555}nav{margin:.5em 0}nav a,nav strong{margin:0 .2em}</style></head><body>
<h1>camkit explain</h1>
<p>Model: ${esc(info.model)} · backend: ${esc(info.backend)} · colormap: ${esc(info.colormap)}. ${range} Each cell: the class explained, its score (model output), the map files and the time per image. All results: <a href="results.csv">results.csv</a>, <a href="results.json">results.json</a>.</p>
${nav(k, pages)}
<table><tr><th>input</th>${methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>
${rows}
</table>
${nav(k, pages)}
</body></html>
`,
    });
  }
  return out;
}

/** One page with every image (the API of earlier versions). */
export function galleryHtml(items: readonly GalleryItem[], info: { model: string; backend: string; colormap: string }): string {
  return galleryPages(items, info, Math.max(1, items.length))[0].html;
}
