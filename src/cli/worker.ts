// A worker thread of `camkit explain --workers N` (run by tinypool): its own tfjs, wasm backend, camkit
// runtime and model, loaded on the first task; then one image per task, the same code as --workers 1.
// Errors come back as data (code, message), since an Error's class does not cross the thread boundary.
import { createContext, processImage, warmUp, type JobConfig, type JobContext, type JobOutput, type JobTask } from './job.js';
import { CamkitError } from '../errors.js';

let ctx: Promise<JobContext> | null = null;
let key = '';

export type WorkerReply = { ok: true; out: JobOutput | null } | { ok: false; code: string | null; name: string; message: string };

/** One image; `task: null` loads the model and warms it up (start-up is not in the rate). */
export default async function run({ config, task }: { config: JobConfig; task: JobTask | null }): Promise<WorkerReply> {
  try {
    const k = JSON.stringify(config);
    if (!ctx || k !== key) {
      key = k;
      ctx = createContext(config);
    }
    const c = await ctx;
    if (!task) {
      await warmUp(c, config);
      return { ok: true, out: null };
    }
    return { ok: true, out: await processImage(c, config, task) };
  } catch (e) {
    if (e instanceof CamkitError) return { ok: false, code: e.code, name: e.name, message: e.message };
    return { ok: false, code: null, name: (e as Error)?.name ?? 'Error', message: String((e as Error)?.message ?? e) };
  }
}
