// Main process: plain Node. camkit runs here too (WebAssembly SIMD is available; the wasm is inlined,
// so nothing is fetched from disk or network). Heavy work belongs here or in the renderer, never in
// the preload: a sandboxed preload can only require 'electron', 'events', 'timers' and 'url'.
const { app, BrowserWindow, ipcMain, protocol, net } = require('electron');
const { readFile } = require('node:fs/promises');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// Chromium's fetch() cannot read file:// URLs, and the widget fetches its map file. Serve the app from
// a privileged custom scheme instead (the usual answer for packaged apps); the wasm itself is inlined
// in the JS, so it needs no fetch at all.
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
const webRoot = path.join(__dirname, '..'); // examples/: this app plus the shared assets/

// camkit is ESM-first with a CommonJS build; both work. The CJS build is used here.
const camkit = require('camkit');

const assets = path.join(__dirname, '..', 'assets');

// Render an overlay PNG in the main process, e.g. for "Export…". Returns PNG bytes.
ipcMain.handle('camkit:export-overlay', async (_event, { colormap = 'jet', opacity = 0.5 } = {}) => {
  await camkit.init(); // SIMD in Electron ≥ 13
  const image = await camkit.decodePng(await readFile(path.join(assets, 'img0.png')));
  const map = camkit.parseMapJson(await readFile(path.join(assets, 'img0.gradcam.json'), 'utf8'));
  const rgba = await camkit.renderOverlay(map, { width: image.width, height: image.height, data: image.data }, { colormap, opacity });
  return camkit.encodePng({ width: rgba.width, height: rgba.height, color: 'rgba', bitDepth: 8, data: new Uint8Array(rgba.data.buffer) });
});

function createWindow() {
  const win = new BrowserWindow({
    width: 900,
    height: 560,
    webPreferences: {
      // The defaults since Electron 12 / 20, spelled out: the renderer is an ordinary sandboxed web page.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      preload: path.join(__dirname, 'preload.js'),
    },
  });
  win.loadURL('app://camkit/electron/index.html');
}

app.whenReady().then(() => {
  protocol.handle('app', (request) => {
    const file = path.normalize(path.join(webRoot, decodeURIComponent(new URL(request.url).pathname)));
    if (!file.startsWith(webRoot + path.sep)) return new Response('forbidden', { status: 403 });
    return net.fetch(pathToFileURL(file).toString());
  });
  createWindow();
  app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && createWindow());
});
app.on('window-all-closed', () => process.platform !== 'darwin' && app.quit());
