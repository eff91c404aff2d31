// Worker entry when the CLI runs from its TypeScript sources (tsx, tests): worker threads do not inherit
// tsx's loader, so register it here, then load the real worker. The built CLI uses dist/cli-worker.js.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default mod.default;
