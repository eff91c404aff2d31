// Entry of `npm run conformance -- FILE [--methods A,B,...] [--kernels …] [--backend cpu|wasm]`.
import { conformanceCli } from '../conformance/cli.js';

const lines: string[] = [];
const code = await conformanceCli(process.argv.slice(2), {
  // Buffered: thousands of small writes to a pipe are slow, and ordering stays exact.
  out: (l) => {
    lines.push(l);
    if (lines.length >= 256) process.stdout.write(lines.splice(0).join('\n') + '\n');
  },
  err: (l) => process.stderr.write(l.replace(/\s*\n\s*/g, ' ') + '\n'),
});
if (lines.length) process.stdout.write(lines.join('\n') + '\n');
process.exitCode = code;
