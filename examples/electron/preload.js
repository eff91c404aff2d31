// Sandboxed preload: only 'electron' is available. It exposes one narrow function to the page.
const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('camkitHost', {
  /** PNG bytes (Uint8Array) of the overlay rendered by camkit in the main process. */
  exportOverlay: (opts) => ipcRenderer.invoke('camkit:export-overlay', opts),
});
