/**
 * A comlink endpoint on which a message that arrives but cannot be read settles its call with
 * an error instead of leaving it pending forever.
 *
 * Such a message raises `messageerror` at the receiver, with no data: comlink listens to
 * `message` only, so the request (or its reply) is lost and the caller waits for ever, and
 * with it every call queued behind. Node does this for a message whose transfer list held an
 * already detached buffer (browsers throw at `postMessage` instead). Both ends wrap their
 * endpoint with this: every message posted carries its sequence number, and each end keeps
 * the number of the last message it received. On `messageerror` the receiver counts the lost
 * message and tells the sender its number; the sender then settles the call it belonged to,
 * in comlink's own reply format: a lost request is answered locally with an error, a lost
 * reply is replaced by an error reply.
 */
import type { Endpoint } from 'comlink';

import type { SerializedError } from './errors.js';

/** The field holding a message's sequence number (beside comlink's own fields). */
const SEQ = 'recurrentSeq';
/** The field of a notice: the number of a message that arrived and could not be read. */
const LOST = 'recurrentLost';
/** How many posted messages are remembered: a notice comes back within one round trip. */
const KEPT = 256;
/** comlink's request message types; anything else with an id is a reply. */
const REQUESTS = new Set(['GET', 'SET', 'APPLY', 'CONSTRUCT', 'ENDPOINT', 'RELEASE']);

/** The error a lost request settles with (mapped to `InvalidArgumentError` by the client). */
export const UNREADABLE_REQUEST: SerializedError = {
  name: 'DataCloneError',
  message:
    'the worker received this call but could not read its arguments (a buffer in the message was already detached, or the message held something the worker cannot rebuild)',
};

/** The error a lost reply is replaced with. */
export const UNREADABLE_REPLY: SerializedError = {
  name: 'RecurrentError',
  message: "the worker's reply to this call arrived but could not be read (it held something that cannot be rebuilt here)",
};

type Listener = EventListenerOrEventListenerObject;
type Message = Record<string, unknown>;

function isMessage(data: unknown): data is Message {
  return typeof data === 'object' && data !== null;
}

/**
 * comlink's reply for a thrown error (what `expose` posts), understood by its default `throw`
 * handler and by the one `registerErrorTransfer` installs.
 */
function errorReply(id: string, error: SerializedError): Message {
  return { id, type: 'HANDLER', name: 'throw', value: { isError: true, value: error } };
}

/**
 * Wraps `inner` (what comlink would use directly). `onMessageError` subscribes to the raw
 * port's `messageerror` event, which comlink's endpoints do not forward.
 */
export function sequencedEndpoint(inner: Endpoint, onMessageError: (listener: () => void) => void): Endpoint {
  let sent = 0;
  let received = 0;
  const posted = new Map<number, { id: string; request: boolean }>();
  const listeners = new Set<Listener>();

  const dispatch = (event: MessageEvent) => {
    for (const l of [...listeners]) {
      if (typeof l === 'function') l(event);
      else l.handleEvent(event);
    }
  };

  const post = (message: unknown, transfer?: Transferable[]) => {
    if (!isMessage(message)) {
      inner.postMessage(message, transfer);
      return;
    }
    const seq = ++sent;
    if (typeof message.id === 'string') {
      posted.set(seq, { id: message.id, request: REQUESTS.has(String(message.type)) });
      if (posted.size > KEPT) posted.delete(posted.keys().next().value!);
    }
    try {
      inner.postMessage({ ...message, [SEQ]: seq }, transfer);
    } catch (e) {
      // Refused at once (a browser's DataCloneError): comlink rejects the call itself.
      posted.delete(seq);
      throw e;
    }
  };

  // The peer could not read message `seq` we posted: settle the call it belonged to.
  const lost = (seq: number) => {
    const m = posted.get(seq);
    if (!m) return;
    posted.delete(seq);
    if (m.request) dispatch({ data: errorReply(m.id, UNREADABLE_REQUEST) } as MessageEvent);
    else post(errorReply(m.id, UNREADABLE_REPLY));
  };

  inner.addEventListener('message', (event) => {
    const data = (event as MessageEvent).data as unknown;
    if (isMessage(data)) {
      if (typeof data[SEQ] === 'number') received = data[SEQ];
      if (typeof data[LOST] === 'number') {
        lost(data[LOST]);
        return;
      }
    }
    dispatch(event as MessageEvent);
  });
  onMessageError(() => {
    // Messages arrive in order, so the unreadable one is the one after the last read.
    received += 1;
    post({ [LOST]: received });
  });

  return {
    postMessage: post,
    addEventListener: (_type: string, listener: Listener) => void listeners.add(listener),
    removeEventListener: (_type: string, listener: Listener) => void listeners.delete(listener),
    ...(inner.start ? { start: () => inner.start!() } : {}),
  };
}
