/**
 * Training progress on stderr. On a terminal, one cli-progress bar per epoch (each stays on
 * screen as that epoch's summary line): epoch, batches, running loss and perplexity,
 * tokens/s and the ETA of the whole run. Elsewhere (a pipe, a log file), one plain line per
 * epoch with the same fields.
 */
import cliProgress from 'cli-progress';
import { duration, grouped } from './format.js';

export interface ProgressFields {
  loss: number;
  perplexity: number;
  tokensPerSecond: number;
  /** Seconds left in the whole run, or NaN when unknown. */
  eta: number;
}

export class TrainingProgress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #epochs: string;
  #bar: cliProgress.SingleBar | undefined;
  #epoch = 0;
  #total = 0;
  #value = 0;

  constructor(stream: NodeJS.WriteStream, epochs: number) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
    this.#epochs = String(epochs);
  }

  #payload(f: ProgressFields): Record<string, string> {
    return {
      epochs: `${String(this.#epoch + 1).padStart(this.#epochs.length)}/${this.#epochs}`,
      loss: Number.isFinite(f.loss) ? f.loss.toFixed(4) : '--',
      ppl: Number.isFinite(f.perplexity) ? f.perplexity.toFixed(2).padStart(5) : '--',
      tps: grouped(f.tokensPerSecond).padStart(6),
      etaText: duration(f.eta),
    };
  }

  /** Starts epoch `epoch` (from 0) of `batches` batches. */
  startEpoch(epoch: number, batches: number, fields: ProgressFields): void {
    this.#epoch = epoch;
    this.#total = batches;
    this.#value = 0;
    if (!this.#tty) return;
    this.#bar = new cliProgress.SingleBar(
      {
        stream: this.#stream,
        format: 'epoch {epochs} {bar} {value}/{total} | loss {loss} | ppl {ppl} | {tps} tok/s | ETA {etaText}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        fps: 8,
        barCompleteChar: '\u2588',
        barIncompleteChar: '\u2591',
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(batches, 0, this.#payload(fields));
  }

  /** After `done` batches of the current epoch. */
  update(done: number, fields: ProgressFields): void {
    this.#value = done;
    this.#bar?.update(done, this.#payload(fields));
  }

  /** Ends the current epoch (complete or cut short) with its final fields. */
  endEpoch(fields: ProgressFields, seconds: number): void {
    if (this.#bar) {
      this.#bar.update(this.#value, this.#payload(fields));
      this.#bar.stop();
      this.#bar = undefined;
      return;
    }
    const p = this.#payload(fields);
    const partial = this.#value < this.#total ? ` (stopped after ${this.#value}/${this.#total} batches)` : '';
    this.#stream.write(
      `epoch ${p['epochs']}: loss ${p['loss']}, perplexity ${p['ppl']!.trim()}, ${p['tps']!.trim()} tokens/s, ${seconds.toFixed(1)} s, ETA ${p['etaText']}${partial}\n`,
    );
  }

  /** Stops any bar still shown (on errors). */
  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}
