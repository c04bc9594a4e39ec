/**
 * Reads with limits: a `signal` to cancel, a deadline (`timeoutMs`) and a size cap
 * (`maxBytes`), for files (Node) and fetched URLs alike. Bodies are read as streams into one
 * buffer, so the size is checked as bytes arrive (and up front when the size is declared), and
 * a caller can check the first bytes of a file as soon as they arrive and stop a download that
 * cannot be what it expects (see `checkSafetensorsStart`).
 */
import { InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import { isNode } from '../engine/features.js';
import { ReadAbortedError } from './read-error.js';

/** Options of every function that reads a file or URL. */
export interface ReadOptions {
  /**
   * Cancels the read: it rejects with {@link ReadAbortedError} (`limit: 'signal'`, the
   * signal's reason as `cause`) and the connection or file is closed. Default: none.
   */
  signal?: AbortSignal;
  /**
   * The longest the whole read may take, in milliseconds, from the request to the last byte
   * (a server sending a byte a second cannot hold it open). Then it rejects with
   * {@link ReadAbortedError} (`limit: 'timeoutMs'`). `Infinity`: no deadline. Default
   * {@link DEFAULT_TIMEOUT_MS} (5 minutes).
   */
  timeoutMs?: number;
  /**
   * The most bytes a file or body may have: a larger one is refused with
   * {@link ReadAbortedError} (`limit: 'maxBytes'`), before reading when its size is declared
   * (a file's size, a `Content-Length`), else as soon as the bytes pass the limit. Default
   * {@link DEFAULT_MAX_BYTES} (1 GiB, more than any model this library can train in the 4 GiB
   * of WebAssembly memory).
   */
  maxBytes?: number;
}

/** Default of {@link ReadOptions.timeoutMs}: 5 minutes. */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** Default of {@link ReadOptions.maxBytes}: 1 GiB. */
export const DEFAULT_MAX_BYTES = 2 ** 30;

const READ_OPTION_KEYS: readonly string[] = ['signal', 'timeoutMs', 'maxBytes'];

/** The longest delay `setTimeout` keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Called with the bytes read so far and the declared total (when known) until it returns true;
 * throws (a `FormatError`) to stop the read.
 */
export type StartCheck = (head: Uint8Array, declaredTotal: number | undefined) => boolean;

/**
 * Validates `options` of function `fn`: known keys only (`allowed`: the read options plus the
 * caller's own), each of the right type.
 */
export function checkReadOptions(fn: string, options: unknown, allowed: readonly string[] = READ_OPTION_KEYS): ReadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${fn}: argument \`options\` expected an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(`${fn}: unknown option \`${key}\`; the options are ${allowed.join(', ')}`);
    }
  }
  const { signal, timeoutMs, maxBytes } = options as Record<string, unknown>;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${fn}: option \`signal\` expected an AbortSignal, got ${typeof signal}`);
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new InvalidArgumentError(`${fn}: option \`timeoutMs\` expected a number > 0 (Infinity: no deadline), got ${String(timeoutMs)}`);
  }
  if (maxBytes !== undefined && !(typeof maxBytes === 'number' && Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new InvalidArgumentError(`${fn}: option \`maxBytes\` expected an integer >= 0, got ${String(maxBytes)}`);
  }
  return options as ReadOptions;
}

/**
 * One deadline, one cancel and one size cap for the files a call reads (`loadTorch` reads two
 * under one deadline). Call {@link close} when done.
 */
export class ReadSession {
  private readonly controller = new AbortController();
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly userSignal: AbortSignal | undefined;
  private stoppedBy: 'signal' | 'timeoutMs' | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = (): void => this.stop('signal');

  /** `options` must have passed {@link checkReadOptions}. */
  constructor(private readonly fn: string, options: ReadOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userSignal = options.signal;
    if (this.userSignal?.aborted) this.stop('signal');
    else this.userSignal?.addEventListener('abort', this.onAbort, { once: true });
    if (this.timeoutMs <= MAX_TIMER_MS) this.timer = setTimeout(() => this.stop('timeoutMs'), this.timeoutMs);
  }

  /** Ends the session: the timer and the listener on the caller's signal are removed. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.userSignal?.removeEventListener('abort', this.onAbort);
  }

  private stop(by: 'signal' | 'timeoutMs'): void {
    if (this.stoppedBy !== undefined) return;
    this.stoppedBy = by;
    this.controller.abort(by === 'signal' ? this.userSignal?.reason : new Error('timeout'));
  }

  /** Throws the {@link ReadAbortedError} of a stopped session (else nothing). */
  throwIfStopped(where: string): void {
    if (this.stoppedBy === 'signal') {
      throw new ReadAbortedError(`${this.fn}: reading ${where} was aborted by the signal`, 'signal', { cause: this.userSignal?.reason });
    }
    if (this.stoppedBy === 'timeoutMs') {
      throw new ReadAbortedError(`${this.fn}: reading ${where} took longer than timeoutMs = ${this.timeoutMs} ms`, 'timeoutMs');
    }
  }

  /**
   * The bytes of `target` (a path in Node, or a URL). `check` sees the first bytes as they
   * arrive (see {@link StartCheck}). Throws {@link ReadAbortedError} when a limit stops it,
   * {@link InvalidArgumentError} when it cannot be read (missing file, HTTP error status,
   * network failure), and whatever `check` throws.
   */
  async read(target: string | URL, check?: StartCheck): Promise<Uint8Array> {
    const where = typeof target === 'string' ? JSON.stringify(target) : target.href;
    this.throwIfStopped(where);
    const sink = new Sink(this.maxBytes, (size) => this.tooLarge(where, size), check);
    try {
      if (isNode() && (typeof target === 'string' || target.protocol === 'file:')) await this.readFile(target, sink, where);
      else await this.fetch(target, sink, where);
      return sink.bytes();
    } catch (e) {
      this.throwIfStopped(where);
      if (e instanceof ReadAbortedError || e instanceof OutOfMemoryError || sink.checkFailed(e)) throw e;
      throw new InvalidArgumentError(`${this.fn}: could not read ${where}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
  }

  private tooLarge(where: string, size: string): ReadAbortedError {
    return new ReadAbortedError(`${this.fn}: ${where} is ${size}, more than maxBytes = ${this.maxBytes}`, 'maxBytes');
  }

  private async readFile(target: string | URL, sink: Sink, where: string): Promise<void> {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises');
    const handle = await fs.open(target, 'r');
    try {
      const stat = await handle.stat();
      // Devices, pipes and procfs files report 0: their size is only known as they are read.
      const declared = stat.isFile() && stat.size > 0 ? stat.size : undefined;
      sink.begin(declared);
      for (;;) {
        this.throwIfStopped(where);
        // A small first read lets `check` look at the start before the rest is read.
        const into = sink.space(sink.needsCheck() ? 64 : 16 * 2 ** 20);
        if (into === undefined) {
          // Full at the declared size: look for more (a growing file) without doubling the buffer.
          const more = new Uint8Array(64 * 1024);
          const { bytesRead } = await handle.read(more, 0, more.byteLength, null);
          if (bytesRead === 0) break;
          sink.push(more.subarray(0, bytesRead));
          continue;
        }
        const { bytesRead } = await handle.read(into, 0, into.byteLength, null);
        if (bytesRead === 0) break;
        sink.wrote(bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  private async fetch(target: string | URL, sink: Sink, where: string): Promise<void> {
    const response = await fetch(target, { signal: this.controller.signal });
    const body = response.body;
    if (!response.ok) {
      await body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${response.status} ${response.statusText}`);
    }
    // A compressed body is decoded by fetch: its Content-Length is not the length we get.
    const encoding = response.headers.get('content-encoding');
    const length = response.headers.get('content-length');
    const declared = length !== null && /^\d+$/.test(length) && (encoding === null || encoding === 'identity') ? Number(length) : undefined;
    if (body === null) {
      sink.begin(0);
      return;
    }
    const reader = body.getReader();
    try {
      sink.begin(declared);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        sink.push(value);
      }
    } catch (e) {
      // Closes the connection: nothing more of a body we refused is downloaded.
      void reader.cancel().catch(() => undefined);
      this.throwIfStopped(where);
      throw e;
    }
  }
}

/** Collects the bytes of one read in one buffer, enforcing the size cap and the start check. */
class Sink {
  private buffer = new Uint8Array(0);
  private length = 0;
  private declared: number | undefined;
  private checked: boolean;
  private failure: unknown;

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: (size: string) => Error,
    private readonly check: StartCheck | undefined,
  ) {
    this.checked = check === undefined;
  }

  /** Starts with the declared size (refused at once when over the cap; else allocated once). */
  begin(declared: number | undefined): void {
    this.declared = declared;
    if (declared !== undefined && declared > this.maxBytes) throw this.tooLarge(`${declared} bytes`);
    // Untouched pages of a large allocation cost nothing until bytes arrive.
    this.buffer = allocate(declared ?? Math.min(this.maxBytes, 64 * 1024));
  }

  needsCheck(): boolean {
    return !this.checked;
  }

  /**
   * A view of up to `want` free bytes at the end; when the buffer is full, undefined if it
   * was allocated at the declared size, else the buffer grows (within the cap).
   */
  space(want: number): Uint8Array | undefined {
    if (this.length === this.buffer.byteLength) {
      if (this.declared !== undefined) return undefined;
      this.grow(this.length + 1);
    }
    return this.buffer.subarray(this.length, Math.min(this.buffer.byteLength, this.length + want));
  }

  /** Records `n` bytes written into the last {@link space}. */
  wrote(n: number): void {
    this.length += n;
    this.afterBytes();
  }

  push(chunk: Uint8Array): void {
    if (this.length + chunk.byteLength > this.buffer.byteLength) this.grow(this.length + chunk.byteLength);
    this.buffer.set(chunk, this.length);
    this.length += chunk.byteLength;
    this.afterBytes();
  }

  bytes(): Uint8Array {
    if (!this.checked && this.check !== undefined) this.runCheck(this.declared ?? this.length);
    return this.length === this.buffer.byteLength ? this.buffer : this.buffer.slice(0, this.length);
  }

  /** Whether `e` is what the start check threw. */
  checkFailed(e: unknown): boolean {
    return this.failure !== undefined && e === this.failure;
  }

  private afterBytes(): void {
    if (this.length > this.maxBytes) throw this.tooLarge(`more than ${this.maxBytes} bytes`);
    if (!this.checked) this.runCheck(this.declared);
  }

  private runCheck(total: number | undefined): void {
    try {
      this.checked = (this.check as StartCheck)(this.buffer.subarray(0, this.length), total);
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  private grow(needed: number): void {
    if (needed > this.maxBytes) throw this.tooLarge(`more than ${this.maxBytes} bytes`);
    const size = Math.min(this.maxBytes, Math.max(needed, this.buffer.byteLength * 2, 64 * 1024));
    const next = allocate(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
}

/** A zeroed buffer of `size` bytes, or an {@link OutOfMemoryError}. */
function allocate(size: number): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(size);
  } catch (e) {
    throw new OutOfMemoryError(`cannot hold a file of ${size} bytes in memory (lower maxBytes, or free memory)`, { cause: e });
  }
}
