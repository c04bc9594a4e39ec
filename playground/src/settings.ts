/**
 * The settings form: reads and checks its fields, and turns them into the model's layers and
 * the options of `fit`. The package checks everything again; this gives the page's own
 * messages, which name the field.
 */
import { adam, dense, gru, lstm, oneHot, rnn, sgd, type BpttMode, type LayerConfig, type OptimizerConfig } from 'recurrent';

export type CellKind = 'rnn' | 'gru' | 'lstm';

export interface TrainSettings {
  cell: CellKind;
  hidden: number;
  layers: number;
  bptt: BpttMode;
  /** Steps per batch, T. */
  seqLen: number;
  /** Mean segment length of randomized truncation. */
  meanLength: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  /** 0: no clipping. */
  clipNorm: number;
  epochs: number;
  batchesPerEpoch: number;
  seed: number;
}

export interface SampleSettings {
  prefix: string;
  length: number;
  /** 0: greedy. */
  temperature: number;
}

/** Default learning rate of each optimiser (set when the optimiser changes). */
export const DEFAULT_LR = { sgd: 1, adam: 0.005 } as const;

export const CELL_NAMES: Record<CellKind, string> = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' };

/** The form's named controls, by name. */
function field(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement {
  const item = form.elements.namedItem(name);
  if (!(item instanceof HTMLInputElement || item instanceof HTMLSelectElement)) throw new Error(`playground: the form has no field ${name}`);
  return item;
}

function choice<T extends string>(form: HTMLFormElement, name: string, allowed: readonly T[]): T {
  const value = field(form, name).value;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${label(form, name)}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

function number(form: HTMLFormElement, name: string, options: { min: number; max: number; integer?: boolean }): number {
  const input = field(form, name);
  const value = Number(input.value);
  const ok = input.value.trim() !== '' && Number.isFinite(value) && value >= options.min && value <= options.max && (!options.integer || Number.isInteger(value));
  if (!ok) {
    input.focus();
    throw new Error(`${label(form, name)}: expected ${options.integer ? 'an integer' : 'a number'} from ${options.min} to ${options.max}, got ${JSON.stringify(input.value)}`);
  }
  return value;
}

function label(form: HTMLFormElement, name: string): string {
  const input = field(form, name);
  return input.labels?.[0]?.firstChild?.textContent?.trim() || name;
}

export function readTrainSettings(form: HTMLFormElement): TrainSettings {
  return {
    cell: choice(form, 'cell', ['rnn', 'gru', 'lstm'] as const),
    hidden: number(form, 'hidden', { min: 1, max: 1024, integer: true }),
    layers: number(form, 'layers', { min: 1, max: 8, integer: true }),
    bptt: choice(form, 'bptt', ['full', 'truncated', 'random'] as const),
    seqLen: number(form, 'seqLen', { min: 1, max: 1000, integer: true }),
    meanLength: number(form, 'meanLength', { min: 1, max: 1000 }),
    batchSize: number(form, 'batchSize', { min: 1, max: 512, integer: true }),
    optimizer: choice(form, 'optimizer', ['sgd', 'adam'] as const),
    lr: number(form, 'lr', { min: 1e-6, max: 100 }),
    clipNorm: number(form, 'clipNorm', { min: 0, max: 1e6 }),
    epochs: number(form, 'epochs', { min: 1, max: 10_000, integer: true }),
    batchesPerEpoch: number(form, 'batchesPerEpoch', { min: 1, max: 1_000_000, integer: true }),
    seed: number(form, 'seed', { min: 0, max: 0xffffffff, integer: true }),
  };
}

export function readSampleSettings(form: HTMLFormElement): SampleSettings {
  const prefix = field(form, 'prefix').value.toLowerCase();
  if (prefix.length === 0) throw new Error('Prefix: expected some text to continue');
  return {
    prefix,
    length: number(form, 'length', { min: 1, max: 5000, integer: true }),
    temperature: number(form, 'temperature', { min: 0, max: 10 }),
  };
}

/** The character language model: one-hot input (d2l's char models), the recurrent stack, a dense read-out. */
export function languageModel(s: Pick<TrainSettings, 'cell' | 'hidden' | 'layers'>, vocabSize: number): LayerConfig[] {
  const common = { units: s.hidden, layers: s.layers };
  const cell = s.cell === 'rnn' ? rnn(common) : s.cell === 'gru' ? gru(common) : lstm(common);
  return [oneHot({ vocabSize }), cell, dense({ units: vocabSize })];
}

export function optimizerOf(s: Pick<TrainSettings, 'optimizer' | 'lr'>): OptimizerConfig {
  return s.optimizer === 'adam' ? adam({ lr: s.lr }) : sgd({ lr: s.lr });
}

/** Full BPTT starts every batch from zero, so batches are drawn at random; the truncated modes carry the state, so they read the text in order. */
export function batchOrderOf(bptt: BpttMode): 'random' | 'sequential' {
  return bptt === 'full' ? 'random' : 'sequential';
}

/** A one-line description of a model's layers: `LSTM 2×128`. */
export function describeLayers(configs: readonly LayerConfig[]): string {
  return configs
    .flatMap((c) => {
      if (c.type === 'rnn' || c.type === 'gru' || c.type === 'lstm') {
        return [`${CELL_NAMES[c.type]} ${(c.layers ?? 1) > 1 ? `${c.layers}×` : ''}${c.units}${c.bidirectional ? ' bidirectional' : ''}`];
      }
      return [];
    })
    .join(' → ');
}
