// The `camkit` command line (Node only). docs/cli.md describes every command and option.
//   camkit explain [INPUT…] [options]   overlays, map files, results and index.html (default: the bundled samples)
//   camkit layers [--model PATH]        the layers --layer accepts, with shapes; the default marked
//   camkit merge DIR…                   one results file and gallery from --shard runs
//   camkit eval [options]               metrics of every method on a synthetic set, or on your labelled images
// Errors: one line on stderr, exit 1, no partial file left behind.
import { NameError } from '../errors.js';
import { COLORMAPS } from '../render/colormaps.js';
import { PREPROCESS_NAMES } from '../core/preprocess.js';
import { parseArgs } from './args.js';
import { runEval, EVAL_OPTS, EVAL_FLAGS } from './eval.js';
import { cmdExplain } from './explain-cmd.js';
import { cmdLayers } from './layers-cmd.js';
import { cmdMerge } from './merge-cmd.js';
import { methodHelp } from './options.js';
import { TARGET_SPEC_HELP } from '../capture/target-spec.js';
import { RESIZE_MODES } from './geometry.js';
import { resolve } from 'node:path';

export { parseMethods } from './options.js';
export { parseTargetSpec } from '../capture/target-spec.js';

async function cmdEval(argv: string[]): Promise<void> {
  const p = parseArgs(argv, EVAL_OPTS, EVAL_FLAGS);
  if (p.options.has('help')) return void process.stdout.write(USAGE);
  await runEval(p);
}

export const USAGE = `camkit — class activation maps for TensorFlow.js models (docs/cli.md has every detail)

Usage:
  camkit explain [INPUT…] [options]   explain images; INPUT: files, folders, globs ('data/**/*.jpg');
                                      no INPUT: the bundled samples with the bundled model
  camkit layers [--model PATH] [--json]   the layers/nodes --layer accepts, shapes, kinds; * = default
  camkit merge DIR… [--out DIR]       join --shard outputs into one results.json/.csv and index.html
  camkit eval [options]               metrics of every method (synthetic set, or --images + --labels)

explain options:
  --model PATH          model.json (LayersModel or GraphModel) or its folder; NAME.json works too.
                        Default: the bundled shapes model. classes.json (or NAME.classes.json) beside it
                        may give class names, targetLayer, activation, preprocess, mean, std
  --layer NAME          layer/node to explain (default: classes.json targetLayer, else the last 4-D
                        feature map; see camkit layers)
  --output NAME|I       the model output to explain: a name (camkit layers lists them) or an index
                        (default: the only/first output); the automatic layer follows its path
  --method NAME|all     names or aliases, comma-separated, or all: every method this model supports
                        (the others are listed as skipped):
                        ${methodHelp()}
  --target T            what to explain (default top1):
                        ${TARGET_SPEC_HELP.join('\n                        ')}
  --preprocess P        ${PREPROCESS_NAMES.join(' | ')}: how pixels become model input
                        (default pixels/255 unless classes.json says otherwise; --input-scale is the old name)
  --mean R,G,B --std R,G,B   override the preset's mean / std (one value or three, after its scaling)
  --resize M            ${RESIZE_MODES.join(' | ')} (default stretch): how an image fits the model input;
                        maps are drawn back onto the original image
  --size WxH            size of the overlays and maps (default: each image's own size)
  --colormap NAME       ${COLORMAPS.join(', ')} (default jet)
  --backend wasm|cpu    default wasm
  --batch N             inputs per model call (perturbation methods)
  --out DIR             default ./camkit-out; files go directly in it
  --recursive           look in subfolders of folder inputs
  --workers N           explain on N worker threads (default 1); same bytes as 1
  --shard I/N           only this run's share of the inputs (by a hash of each image's path below its
                        input folder); shards may share --out; then camkit merge
  --force               redo images whose outputs already exist (default: skip them)
  --page-size N         images per index page (default 100)
  --json                print {"results":[…]} on stdout (progress stays on stderr)
  --quiet               no progress or summary on stderr

layers options:
  --model PATH  --json  --backend wasm|cpu  --size WxH (the dry-run input of a model without a fixed size)
  --output NAME|I (the default layer marked is the one explain picks for that output)

merge options:
  --out DIR (default: the first DIR)  --page-size N  --json (the entries on stdout)  --quiet

eval options:
  --images DIR --labels FILE   your images and a manifest: JSON lines {"image","label","boxes":[[x0,y0,x1,y1]…]}
                        or CSV with columns image,label[,x0,y0,x1,y1] (one row per box); without them a
                        synthetic set of --n N (default 200) images, --seed S
  --model, --layer, --preprocess, --mean, --std, --resize as for explain
  --method LIST|all  --backend wasm|cpu  --batch N  --steps N (deletion/insertion, default 20)
  --scores logits|softmax|sigmoid (default: classes.json activation, else softmax)  --road (ROAD on 20 images)
  --out FILE.md (also write the table)  --json  --quiet
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'explain' || cmd === undefined) await cmdExplain(rest, USAGE);
    else if (cmd === 'layers') await cmdLayers(rest, USAGE);
    else if (cmd === 'merge') await cmdMerge(rest, USAGE);
    else if (cmd === 'eval') await cmdEval(rest);
    else if (cmd === '--help' || cmd === '-h' || cmd === 'help') process.stdout.write(USAGE);
    else throw new NameError('command', cmd, ['explain', 'layers', 'merge', 'eval', 'help']);
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`camkit: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}

const isMain = (() => {
  try {
    const argv1 = process.argv[1] ? resolve(process.argv[1]) : '';
    const self = new URL(import.meta.url).pathname;
    return argv1 === self || /camkit(\.ts|\.js|\.mjs)?$|cli\.(js|mjs)$/.test(argv1);
  } catch {
    return false;
  }
})();
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`camkit: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
