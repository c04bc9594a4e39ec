#!/usr/bin/env node
/**
 * The `recurrent` command: `train`, `generate`, `info`, `convert`. Results go to stdout, progress and
 * messages to stderr; a failure is one line `recurrent: <message>` with exit code 1, bad
 * usage (unknown flags, bad values) exit code 2.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { dispose } from '../engine/loader.js';
import { convert, type ConvertFlags } from './convert.js';
import { describeFailure, EXIT_USAGE, oneLine } from './errors.js';
import { generate, type GenerateFlags } from './generate.js';
import { info, type InfoFlags } from './info.js';
import { filePath, integer, number, threads } from './parse.js';
import { DEFAULT_LR, DEFAULT_OPTIMIZER_NAME, train, type TrainFlags, VARIANTS } from './train.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Makes `cmd` report errors on one line, with a pointer to its help. */
function wire(cmd: Command, helpHint: string): Command {
  return cmd
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(`recurrent: ${oneLine(str)} (see '${helpHint} --help')\n`) });
}

function program(): Command {
  const root = wire(new Command('recurrent'), 'recurrent')
    .description('Recurrent neural networks (RNN, GRU, LSTM) trained by BPTT, computed by Rust compiled to WebAssembly.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(false)
    .addHelpText('after', '\nRun `recurrent <command> --help` for the options of a command. Exit codes: 0 ok, 1 failure, 2 bad usage.');

  const lrDefaults = Object.entries(DEFAULT_LR).map(([k, v]) => `${k} ${v}`).join(', ');
  wire(root.command('train'), 'recurrent train')
    .summary('train a language model on a text (default: The Time Machine)')
    .description(
      'Train a character (or word) language model by backpropagation through time. ' +
        "The corpus gets d2l's preprocessing (letters only, lowercase, one space for any other run) and a vocabulary built from it. " +
        'Progress goes to stderr; at the end the checkpoint and an SVG of perplexity per epoch are written, and the final perplexity ' +
        'and tokens/s are printed. Ctrl-C stops after the current batch and still saves.',
    )
    .argument('[corpus]', 'a text file (default: The Time Machine shipped with the package)')
    .addOption(new Option('--level <level>', 'tokens: characters or words').choices(['char', 'word']).default('char'))
    .addOption(new Option('--cell <kind>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--variant <name>', (['lstm', 'gru', 'rnn'] as const).map((c) => `${c}: ${VARIANTS[c].join(', ')}`).join('; '))
    .addOption(new Option('--nonlinearity <f>', 'rnn activation (default tanh)').choices(['tanh', 'relu']))
    .option('--forget-bias <b>', 'lstm: initial forget-gate bias (the notes suggest 1 to 2)', number(-100, 100))
    .option('--hidden <n>', 'hidden units per layer', integer(1, 65536), 256)
    .option('--layers <n>', 'stacked recurrent layers', integer(1, 64), 1)
    .option('--dropout <p>', 'dropout between stacked layers while training', number(0, 0.999))
    .option('--embedding <dim>', 'learned embedding of this size (default: one-hot input for char, 128 for word)', integer(1, 65536))
    .option('--bidirectional', 'refused: a language model cannot read the future it predicts')
    .addOption(new Option('--bptt <mode>', 'full: each batch from a zero state; truncated: state carried across batches; random: randomized truncation').choices(['full', 'truncated', 'random']).default('truncated'))
    .option('--bptt-mean <n>', 'random: mean segment length (default: half of --seq-len)', number(1, 1e6))
    .option('--seq-len <n>', 'time steps per batch', integer(1, 100000), 35)
    .option('--batch-size <n>', 'sequences per batch', integer(1, 65536), 32)
    .addOption(new Option('--optimizer <name>', 'optimiser').choices(['sgd', 'momentum', 'adam', 'adamw']).default(DEFAULT_OPTIMIZER_NAME))
    .option('--lr <x>', `learning rate (default: ${lrDefaults})`, number(0, 1e6, true))
    .option('--momentum <m>', 'momentum factor of --optimizer momentum (default 0.9)', number(0, 1e6))
    .option('--weight-decay <x>', 'L2 penalty (adamw: decoupled, default 0.01)', number(0, 1e6))
    .option('--clip-norm <x>', 'clip the global gradient norm to this; 0: no clipping', number(0), 1)
    .option('--epochs <n>', 'passes over the corpus', integer(1, 1e9), 10)
    .option('--max-seconds <s>', 'stop after this many seconds of training (then save)', number(0, Infinity, true))
    .option('--max-batches <n>', 'stop after this many batches in all (then save)', integer(1))
    .option('--threads <n>', "threads for the kernels: 'auto' or a number", threads, 'auto')
    .option('--seed <n>', 'seed of initialisation, batching and truncation', integer(0, 0xffffffff), 0)
    .option('--out <path>', 'checkpoint file (checked before training: distinct from the corpus and the plot, its folder writable)', filePath, 'model.safetensors')
    .option('--plot <path>', 'perplexity chart (default: next to the checkpoint, <name>.perplexity.svg)', filePath)
    .action((corpus: string | undefined, flags: TrainFlags) => train(corpus, flags));

  wire(root.command('generate'), 'recurrent generate')
    .summary('continue a text with a trained model')
    .description('Continue --prefix with a model (<unk> is never generated). Only the generated continuation is printed to stdout, then a newline; everything else goes to stderr.')
    .requiredOption('--model <path>', 'a checkpoint written by `recurrent train`, or a PyTorch folder (meta.json + model.safetensors)')
    .requiredOption('--prefix <text>', 'the text to continue')
    .option('--length <n>', 'tokens to generate', integer(0, 1e7), 100)
    .addOption(new Option('--temperature <t>', 'sampling temperature (default 1)').argParser(number(0, 1e6, true)).conflicts('greedy'))
    .option('--greedy', 'always take the most likely token')
    .option('--top-k <k>', 'sample among the k most likely tokens only', integer(1))
    .option('--seed <n>', 'seed of the sampling', integer(0, 0xffffffff), 0)
    .option('--threads <n>', "threads for the kernels: 'auto' or a number", threads, 1)
    .option('-q, --quiet', 'only warnings and errors on stderr')
    .action((flags: GenerateFlags) => generate(flags));

  wire(root.command('info'), 'recurrent info')
    .summary("show a checkpoint's configuration and size")
    .description('Print the layers, sizes, vocabulary, parameter count and file size of a checkpoint, PyTorch folder, ONNX file or TensorFlow.js layers model.')
    .argument('<path>', 'a checkpoint written by `recurrent train`, a PyTorch folder, a .onnx file, a model.json (or its folder), a Keras 3 .keras archive or a Keras .h5 file')
    .option('--json', 'print JSON')
    .action((path: string, flags: InfoFlags) => info(path, flags));

  wire(root.command('convert'), 'recurrent convert')
    .summary('convert a model between formats')
    .description('Read a checkpoint, PyTorch folder, ONNX file or TensorFlow.js layers model and write it as a checkpoint, a PyTorch folder or ONNX (opset 14).')
    .argument('<in>', 'a checkpoint, a PyTorch folder, a .onnx file, a model.json (or its folder), a Keras 3 .keras archive or a Keras .h5 file')
    .argument('<out>', "where to write: a .onnx file, a folder (ending in '/' or existing) for PyTorch, otherwise a checkpoint")
    .addOption(new Option('--to <format>', 'the output format (default: from <out>)').choices(['recurrent', 'pytorch', 'onnx']))
    .option('-q, --quiet', 'no message on stderr')
    .action((input: string, output: string, flags: ConvertFlags) => convert(input, output, flags));

  return root;
}

async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE; // already reported by outputError
    const { line, code } = describeFailure(e);
    process.stderr.write(`${line}\n`);
    if (process.env['RECURRENT_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return code;
  } finally {
    await dispose();
  }
}

process.exitCode = await main(process.argv);
