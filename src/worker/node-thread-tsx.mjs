// Worker entry when camkit/worker runs from its TypeScript sources (tsx, tests): worker threads do not
// inherit tsx's loader, so register it here, then load the real entry. Built code uses dist/worker-thread.js.
import { register } from 'tsx/esm/api';

register();
await import('./node-thread.ts');
