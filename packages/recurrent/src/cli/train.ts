/**
 * `recurrent train`: a character (or word) language model on a text file, by default the
 * Time Machine shipped with the package. Progress on stderr; at the end a checkpoint (the
 * model file of `saveModel`), an SVG of perplexity per epoch next to it, and a summary with
 * the final perplexity and tokens/s on stdout.
 */
import { parse as parsePath, join as joinPath } from 'node:path';
import { gateBlock, kindOfVariant, variantCliNames, variantOption } from '../core/cell-kinds.js';
import { batchCount, randomBatches, sequentialBatches } from '../data/batches.js';
import { Random } from '../data/random.js';
import { init } from '../engine/loader.js';
import { fit, type BpttMode, type EpochInfo } from '../model/fit.js';
import { dense, embedding, gru, lstm, oneHot, rnn, type LayerConfig, type LstmVariant, type RecurrentConfig } from '../model/layers.js';
import { sequential } from '../model/model.js';
import { adam, adamw, sgd, type OptimizerConfig } from '../model/optimizers.js';
import { DEFAULT_ADAM_LR, DEFAULT_OPTIMIZER } from '../model/default-optimizer.js';
import { saveModel } from '../model/serialize.js';
import { loadCorpus, SHIPPED_CORPUS } from './corpus.js';
import { CliError } from './errors.js';
import { writeFileAtomic } from './files.js';
import { prepareOutputs } from './outputs.js';
import { bytes, duration, grouped, modelSummary, sig } from './format.js';
import { perplexitySvg, type PlotPoint } from './plot.js';
import { TrainingProgress, type ProgressFields } from './progress.js';

export type CellName = 'lstm' | 'gru' | 'rnn';
export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamw';

/** The flags of `recurrent train`, as commander hands them over. */
export interface TrainFlags {
  level: 'char' | 'word';
  cell: CellName;
  variant?: string;
  nonlinearity?: 'tanh' | 'relu';
  forgetBias?: number;
  hidden: number;
  layers: number;
  dropout?: number;
  embedding?: number;
  bidirectional?: boolean;
  bptt: BpttMode;
  bpttMean?: number;
  seqLen: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  clipNorm: number;
  epochs: number;
  maxSeconds?: number;
  maxBatches?: number;
  threads: number | 'auto';
  seed: number;
  out: string;
  plot?: string;
}

/** The default `--optimizer`: the type of the library's one default optimiser. */
export const DEFAULT_OPTIMIZER_NAME: OptimizerName = DEFAULT_OPTIMIZER.type;

/** Default learning rate of each optimiser; Adam's is the library default's (`DEFAULT_OPTIMIZER`). */
export const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 1, momentum: 0.1, adam: DEFAULT_ADAM_LR, adamw: DEFAULT_ADAM_LR };

/** `--variant` values per `--cell` (lstm and gru: the cell kind table; rnn's activation is `--nonlinearity`). */
export const VARIANTS: Record<CellName, readonly string[]> = {
  lstm: variantCliNames('lstm'),
  gru: variantCliNames('gru'),
  rnn: ['standard', 'residual'],
};

/** The recurrent layer the flags ask for; flag combinations that do not apply are errors. */
export function recurrentLayer(f: TrainFlags): RecurrentConfig {
  if (f.bidirectional) {
    throw new CliError(
      '--bidirectional does not apply to language modelling: the reverse direction would read the very tokens the model must predict, ' +
        'and text is generated one token at a time. Bidirectional layers are for tagging and classification (the library API: `bidirectional: true`)',
    );
  }
  const variant = f.variant ?? VARIANTS[f.cell][0]!;
  if (!VARIANTS[f.cell].includes(variant)) {
    throw new CliError(`--variant ${JSON.stringify(variant)} does not apply to --cell ${f.cell}: expected one of ${VARIANTS[f.cell].join(', ')}`);
  }
  if (f.nonlinearity !== undefined && f.cell !== 'rnn') throw new CliError(`--nonlinearity applies to --cell rnn only (got --cell ${f.cell})`);
  if (f.forgetBias !== undefined && f.cell !== 'lstm') throw new CliError(`--forget-bias applies to --cell lstm only (got --cell ${f.cell})`);
  if (f.forgetBias !== undefined && f.cell === 'lstm' && gateBlock(kindOfVariant('lstm', variant)!, 'f') < 0) {
    throw new CliError(`--forget-bias does not apply to --variant ${variant}: it has no forget gate`);
  }
  if (f.nonlinearity === 'relu' && variant === 'residual') throw new CliError('--variant residual is defined with tanh; drop --nonlinearity relu');
  const common = { units: f.hidden, layers: f.layers, ...(f.dropout ? { dropout: f.dropout } : {}) };
  if (f.dropout && f.layers < 2) throw new CliError('--dropout applies between stacked layers: use it with --layers 2 or more');
  switch (f.cell) {
    case 'lstm': {
      const v = variantOption(kindOfVariant('lstm', variant)!) as LstmVariant;
      return lstm({ ...common, ...(v === 'standard' ? {} : { variant: v }), ...(f.forgetBias === undefined ? {} : { forgetBias: f.forgetBias }) });
    }
    case 'gru':
      return gru({ ...common, ...(variant === 'reset-before' ? { resetAfter: false } : {}) });
    case 'rnn':
      return rnn({ ...common, ...(f.nonlinearity ? { nonlinearity: f.nonlinearity } : {}), ...(variant === 'residual' ? { residual: true } : {}) });
  }
}

/** The optimiser the flags ask for. */
export function optimizerOf(f: TrainFlags): OptimizerConfig {
  const lr = f.lr ?? DEFAULT_LR[f.optimizer];
  if (f.momentum !== undefined && f.optimizer !== 'momentum') throw new CliError(`--momentum applies to --optimizer momentum only (got --optimizer ${f.optimizer})`);
  const wd = f.weightDecay === undefined ? {} : { weightDecay: f.weightDecay };
  switch (f.optimizer) {
    case 'sgd':
      return sgd({ lr, ...wd });
    case 'momentum':
      return sgd({ lr, momentum: f.momentum ?? 0.9, ...wd });
    case 'adam':
      return adam({ lr, ...wd });
    case 'adamw':
      return adamw({ lr, ...wd });
  }
}

/** The plot's default path: next to the checkpoint, `<name>.perplexity.svg`. */
export function defaultPlotPath(out: string): string {
  const p = parsePath(out);
  return joinPath(p.dir, `${p.ext === '.safetensors' ? p.name : p.base}.perplexity.svg`);
}

export async function train(corpusPath: string | undefined, f: TrainFlags): Promise<void> {
  const err = process.stderr;
  const cell = recurrentLayer(f);
  const optimizer = optimizerOf(f);
  if (f.bpttMean !== undefined && f.bptt !== 'random') throw new CliError(`--bptt-mean applies to --bptt random only (got --bptt ${f.bptt})`);
  const plotPath = f.plot ?? defaultPlotPath(f.out);
  // Before any work: a run must not end by overwriting its corpus or its checkpoint, or fail to save.
  await prepareOutputs(
    [
      { path: f.out, what: 'checkpoint', given: '--out' },
      f.plot === undefined
        ? { path: plotPath, what: 'plot', given: 'the default plot path', fix: 'set --plot to another path' }
        : { path: plotPath, what: 'plot', given: '--plot' },
    ],
    [{ path: corpusPath ?? SHIPPED_CORPUS, what: 'corpus', given: 'the corpus' }],
  );

  const data = await loadCorpus(corpusPath, f.level);
  const order = f.bptt === 'full' ? 'random' : 'sequential';
  const perEpoch = batchCount(data.corpus.length, { batchSize: f.batchSize, seqLen: f.seqLen, order });
  if (perEpoch === 0) {
    throw new CliError(
      `the corpus has ${grouped(data.corpus.length)} tokens, too few for one batch of ${f.batchSize} sequences x ${f.seqLen} steps ` +
        `(it needs about ${grouped((f.batchSize + 1) * f.seqLen + 1)}): lower --batch-size or --seq-len`,
    );
  }
  const engine = await init({ threads: f.threads });
  const V = data.vocab.size;
  const dim = f.embedding ?? (f.level === 'word' ? 128 : undefined);
  const layers: LayerConfig[] = [dim === undefined ? oneHot({ vocabSize: V }) : embedding({ vocabSize: V, dim }), cell, dense({ units: V })];
  const model = sequential(layers, { seed: f.seed, vocab: data.vocab, tokenizer: f.level });
  try {
    const unit = f.level === 'char' ? 'characters' : 'words';
    const meanLength = f.bpttMean ?? Math.max(1, Math.round(f.seqLen / 2));
    // From the config fit is given, so the line shows what trains.
    const lrText = `lr ${sig(optimizer.lr as number)}`;
    const limits = [`${f.epochs} epoch${f.epochs === 1 ? '' : 's'}`];
    if (f.maxSeconds !== undefined) limits.push(`at most ${duration(f.maxSeconds)}`);
    if (f.maxBatches !== undefined) limits.push(`at most ${grouped(f.maxBatches)} batches`);
    err.write(`corpus: ${data.name}: ${grouped(data.corpus.length)} ${unit}, vocabulary of ${V}\n`);
    err.write(`model: ${modelSummary(layers)}, ${grouped(model.parameterCount)} parameters\n`);
    err.write(
      `training: ${f.bptt === 'random' ? `randomized truncated BPTT (mean ${meanLength})` : f.bptt === 'full' ? 'full BPTT per batch' : 'truncated BPTT'}, ` +
        `batches of ${f.batchSize} x ${f.seqLen} steps (${perEpoch} per epoch), ${f.optimizer} ${lrText}, ` +
        `${f.clipNorm > 0 ? `clip norm ${sig(f.clipNorm)}` : 'no clipping'}, ${limits.join(', ')}, seed ${f.seed}\n`,
    );
    err.write(`engine: ${engine.buildName} build, ${engine.threads} thread${engine.threads === 1 ? '' : 's'}\n`);

    const progress = new TrainingProgress(err, f.epochs);
    const rng = new Random(f.seed);
    const tokensPerBatch = f.batchSize * f.seqLen;
    const points: PlotPoint[] = [];
    let epochIndex = 0;
    let epochTotal = perEpoch;
    let epochBatches = 0;
    let epochLoss = 0;
    let epochStart = 0;
    let done = 0;
    let lastEpoch: EpochInfo | undefined;
    let stopReason: string | undefined;
    let interrupted = false;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;

    const fields = (loss: number, perplexity: number): ProgressFields => {
      const seconds = elapsed();
      const remaining = epochTotal - epochBatches + (f.epochs - epochIndex - 1) * perEpoch;
      let eta = done > 0 ? (remaining * seconds) / done : Number.NaN;
      if (f.maxBatches !== undefined && done > 0) eta = Math.min(eta, ((f.maxBatches - done) * seconds) / done);
      if (f.maxSeconds !== undefined) eta = Math.min(Number.isNaN(eta) ? Infinity : eta, f.maxSeconds - seconds);
      const epochSeconds = (performance.now() - epochStart) / 1000;
      return { loss, perplexity, tokensPerSecond: epochBatches > 0 ? (epochBatches * tokensPerBatch) / Math.max(epochSeconds, 1e-9) : 0, eta: Math.max(0, eta) };
    };
    const running = () => (epochBatches > 0 ? epochLoss / epochBatches : Number.NaN);

    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      progress.stop();
      err.write('\nstopping after this batch to save the checkpoint (Ctrl-C again to quit without saving)\n');
    };
    process.on('SIGINT', onSigint);
    try {
      await fit(
        model,
        (epoch) => {
          const it = order === 'random' ? randomBatches(data.corpus, { batchSize: f.batchSize, seqLen: f.seqLen, rng }) : sequentialBatches(data.corpus, { batchSize: f.batchSize, seqLen: f.seqLen, rng });
          epochIndex = epoch - 1;
          epochTotal = it.batchCount;
          epochBatches = 0;
          epochLoss = 0;
          epochStart = performance.now();
          progress.startEpoch(epoch - 1, it.batchCount, fields(Number.NaN, Number.NaN));
          return it;
        },
        {
          epochs: f.epochs,
          optimizer,
          ...(f.clipNorm > 0 ? { clipNorm: f.clipNorm } : {}),
          bptt: f.bptt === 'random' ? { mode: 'random', meanLength } : f.bptt,
          seed: f.seed,
          onBatchEnd: (info) => {
            done++;
            epochBatches++;
            if (Number.isFinite(info.loss)) epochLoss += info.loss;
            const mean = running();
            progress.update(epochBatches, fields(mean, Math.exp(mean)));
            if (interrupted) stopReason = 'interrupted';
            else if (f.maxBatches !== undefined && done >= f.maxBatches) stopReason = `batch limit of ${grouped(f.maxBatches)} reached`;
            else if (f.maxSeconds !== undefined && elapsed() >= f.maxSeconds) stopReason = `time limit of ${duration(f.maxSeconds)} reached`;
            return stopReason === undefined;
          },
          onEpochEnd: (info) => {
            lastEpoch = info;
            // A language model's loss is a cross-entropy: its perplexity is exp(loss), as per batch above.
            points.push({ epoch: info.epoch, perplexity: Math.exp(info.loss) });
            progress.endEpoch(fields(info.loss, Math.exp(info.loss)), info.seconds);
            epochBatches = 0;
          },
        },
      );
    } catch (e) {
      progress.stop();
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
    }
    const seconds = elapsed();
    let final: { perplexity: number; label: string } | undefined = lastEpoch ? { perplexity: Math.exp(lastEpoch.loss), label: `epoch ${lastEpoch.epoch}` } : undefined;
    if (epochBatches > 0) {
      // An epoch cut short by a limit: its running mean is the latest measurement.
      const mean = running();
      progress.endEpoch(fields(mean, Math.exp(mean)), (performance.now() - epochStart) / 1000);
      const at = epochIndex + epochBatches / Math.max(1, epochTotal);
      points.push({ epoch: at, perplexity: Math.exp(mean), partial: true });
      final = { perplexity: Math.exp(mean), label: `epoch ${epochIndex + 1}, ${epochBatches} of ${epochTotal} batches` };
    }
    if (stopReason) err.write(`stopped: ${stopReason}\n`);

    const file = saveModel(model);
    await writeFileAtomic(f.out, file, 'checkpoint');
    const title = `${modelSummary(layers)} on ${corpusPath === undefined ? 'The Time Machine' : parsePath(corpusPath).base}`;
    const subtitle = `${f.bptt} BPTT, batch ${f.batchSize} x ${f.seqLen}, ${f.optimizer} ${lrText}, ${grouped(done)} batches in ${duration(seconds)}`;
    await writeFileAtomic(plotPath, perplexitySvg(points, { title, subtitle }), 'plot');

    const tokens = done * tokensPerBatch;
    const out = process.stdout;
    out.write(`final perplexity: ${final ? `${final.perplexity.toFixed(3)} (training, ${final.label})` : 'none (no batch was trained)'}\n`);
    out.write(`speed: ${grouped(tokens / Math.max(seconds, 1e-9))} tokens/s (${grouped(tokens)} tokens in ${seconds.toFixed(1)} s, ${engine.threads} thread${engine.threads === 1 ? '' : 's'})\n`);
    out.write(`checkpoint: ${f.out} (${bytes(file.byteLength)})\n`);
    out.write(`plot: ${plotPath}\n`);
  } finally {
    model.dispose();
  }
}
