// Renderer: an ordinary sandboxed page. The widget script defined <cam-heatmap> and the `camkit`
// global; no Node APIs are used here.
const heat = document.getElementById('heat');
heat.addEventListener('load', (e) => {
  document.getElementById('kernels').textContent = `Kernels: ${e.detail.kernels} (${e.detail.width}×${e.detail.height})`;
});
heat.addEventListener('error', (e) => {
  document.getElementById('kernels').textContent = `Heatmap error ${e.detail.code}: ${e.detail.error.message}`;
});
document.getElementById('export').addEventListener('click', async () => {
  const png = await window.camkitHost.exportOverlay({ colormap: heat.colormap, opacity: heat.opacity });
  const url = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  document.getElementById('exported').src = url;
});
