/** The training panel: the numbers of the last batch, the perplexity chart, the samples. */
import type { BatchInfo, EpochInfo } from 'recurrent';

import { LineChart } from './chart.js';
import { duration, el, grouped, short } from './dom.js';

/** A language model's loss is a cross-entropy: its perplexity is exp(loss) (what `fit` reports for it). */
const perplexity = (info: { loss: number }): number => Math.exp(info.loss);

type Stat = 'epoch' | 'batch' | 'perplexity' | 'speed' | 'gradNorm' | 'elapsed';

export class TrainingView {
  readonly #chart: LineChart;
  readonly #stats: HTMLElement;
  readonly #samples: HTMLOListElement;
  #batches: [number, number][] = [];
  #epochs: [number, number][] = [];
  #labels: string[] = [];
  #epochCount = 0;
  #perEpoch = 0;
  #started = 0;

  constructor(chartBox: HTMLElement, stats: HTMLElement, samples: HTMLOListElement) {
    this.#chart = new LineChart(chartBox, { xLabel: 'batch', yLabel: 'perplexity', yFromZero: true, empty: 'press Train: perplexity appears here, batch by batch' });
    this.#stats = stats;
    this.#samples = samples;
  }

  /** Clears everything for a run of `epochs` epochs of about `perEpoch` batches. */
  reset(epochs: number, perEpoch: number): void {
    this.#batches = [];
    this.#epochs = [];
    this.#labels = [];
    this.#epochCount = epochs;
    this.#perEpoch = perEpoch;
    this.#started = performance.now();
    this.#samples.replaceChildren();
    for (const stat of ['epoch', 'batch', 'perplexity', 'speed', 'gradNorm', 'elapsed'] as const) this.#set(stat, '–');
    this.#draw();
  }

  batch(info: BatchInfo, step: number): void {
    const ppl = perplexity(info);
    this.#batches.push([step, ppl]);
    this.#set('epoch', `${info.epoch + 1} / ${this.#epochCount}`);
    this.#set('batch', `${info.batch + 1} / ${this.#perEpoch}`);
    this.#set('perplexity', short(ppl));
    this.#set('speed', grouped(info.tokensPerSecond));
    this.#set('gradNorm', `${short(info.gradNorm)}${info.clipped ? ' (clipped)' : ''}`);
    this.#set('elapsed', duration((performance.now() - this.#started) / 1000));
    this.#draw();
  }

  epoch(info: EpochInfo, step: number, prefix: string, sample: string): void {
    const ppl = perplexity(info);
    this.#epochs.push([step, ppl]);
    this.#labels.push(`epoch ${info.epoch + 1}: perplexity ${short(ppl)}`);
    this.#set('perplexity', short(ppl));
    this.#set('speed', grouped(info.tokensPerSecond));
    this.#draw();
    const item = el('li');
    item.append(
      el('span', 'meta', `epoch ${info.epoch + 1} · perplexity ${short(ppl)} · ${grouped(info.tokensPerSecond)} tokens/s`),
      sampleText(prefix, sample),
    );
    this.#samples.prepend(item);
  }

  /** Seconds since {@link TrainingView.reset}. */
  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  #set(stat: Stat, text: string): void {
    const dd = this.#stats.querySelector<HTMLElement>(`[data-stat="${stat}"]`);
    if (dd) dd.textContent = text;
  }

  #draw(): void {
    this.#chart.set([
      { name: 'per batch', color: '#9db7e8', points: this.#batches, width: 1.25 },
      { name: 'epoch mean', color: '#2f6fde', points: this.#epochs, dots: true, labels: this.#labels, width: 2.25 },
    ]);
  }
}

/** The prefix, highlighted, then its continuation. */
export function sampleText(prefix: string, continuation: string): HTMLElement {
  const box = el('span', 'text');
  box.append(el('span', 'prefix', prefix), document.createTextNode(continuation));
  return box;
}
