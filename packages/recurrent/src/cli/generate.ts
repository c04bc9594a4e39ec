/**
 * `recurrent generate`: continues a prefix with a trained model. Only the continuation goes to
 * stdout (followed by a newline), so it can be piped; what was loaded goes to stderr.
 */
import { init } from '../engine/loader.js';
import { tokenize } from '../model/generate.js';
import type { Model } from '../model/model.js';
import { CliError } from './errors.js';
import { modelSummary } from './format.js';
import { openModel } from './model-file.js';

export interface GenerateFlags {
  model: string;
  prefix: string;
  length: number;
  temperature?: number;
  greedy?: boolean;
  topK?: number;
  seed: number;
  threads: number | 'auto';
  quiet?: boolean;
}

/**
 * The prefix as the model will read it. Tokens outside the vocabulary would be read as
 * `<unk>`; when lowercasing helps (d2l's preprocessing lowercases) the prefix is lowercased,
 * and a warning names the tokens still unknown.
 */
export function readablePrefix(model: Model, prefix: string, note: (line: string) => void, warn: (line: string) => void): string {
  const vocab = model.vocab;
  if (!vocab) throw new CliError('the model has no vocabulary, so it cannot read a text prefix');
  const unknown = (text: string) => tokenize(model, text).filter((t) => !vocab.has(t));
  let text = prefix;
  const lower = prefix.toLowerCase();
  if (lower !== prefix && unknown(lower).length < unknown(prefix).length) {
    note(`note: the vocabulary is lowercase; reading the prefix as ${JSON.stringify(lower)}`);
    text = lower;
  }
  const missing = unknown(text);
  if (missing.length > 0) {
    const distinct = [...new Set(missing)].slice(0, 8).map((t) => JSON.stringify(t));
    warn(`warning: ${missing.length} token${missing.length === 1 ? '' : 's'} of the prefix ${missing.length === 1 ? 'is' : 'are'} not in the model's vocabulary and will be read as <unk>: ${distinct.join(', ')}`);
  }
  return text;
}

/** The continuation of `prefix`; `<unk>` is never picked (it stands for no character). */
export function continuation(model: Model, prefix: string, o: { length: number; temperature: number; topK: number | undefined; seed: number }): string {
  const vocab = model.vocab!;
  return model.generate(prefix, {
    length: o.length,
    temperature: o.temperature,
    seed: o.seed,
    ...(o.topK === undefined ? {} : { topK: o.topK }),
    ...(vocab.size > 1 ? { exclude: [vocab.unkId] } : {}),
  });
}

export async function generate(f: GenerateFlags): Promise<void> {
  if (f.prefix.length === 0) throw new CliError('--prefix must not be empty: the model needs at least one token to start from');
  await init({ threads: f.threads });
  const { model, kind } = await openModel(f.model);
  try {
    if (!model.takesTokens || !model.configs.some((c) => c.type === 'dense')) throw new CliError(`${f.model} is not a language model (it needs a token input layer and a dense output)`);
    if (model.configs.some((c) => 'bidirectional' in c && c.bidirectional)) throw new CliError(`${f.model} is bidirectional, so it cannot generate text one token at a time`);
    const note = (line: string) => {
      if (!f.quiet) process.stderr.write(`${line}\n`);
    };
    const prefix = readablePrefix(model, f.prefix, note, (line) => process.stderr.write(`${line}\n`));
    const mode = f.greedy ? 'greedy' : `temperature ${f.temperature ?? 1}${f.topK ? `, top-k ${f.topK}` : ''}, seed ${f.seed}`;
    note(`model: ${kind === 'pytorch' ? 'PyTorch folder' : 'checkpoint'} ${f.model}: ${modelSummary(model.configs)}; ${f.length} ${model.tokenizer === 'word' ? 'words' : 'characters'}, ${mode}`);
    const text = continuation(model, prefix, {
      length: f.length,
      temperature: f.greedy ? 0 : (f.temperature ?? 1),
      topK: f.topK,
      seed: f.seed,
    });
    process.stdout.write(`${text}\n`);
  } finally {
    model.dispose();
  }
}
