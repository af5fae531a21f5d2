import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ReplaywatchError } from '../common/errors.js';

/*
 * Posts each hit as JSON to a URL the operator configured. Best effort and bounded: one request
 * at a time, a queue of at most `maxQueue` (the oldest are dropped beyond it), a timeout per
 * request, no retries. The hit itself is already durable in the store; the webhook only tells.
 */

export interface WebhookSender {
  send(payload: unknown): void;
  /** resolves when the queue is empty (tests, shutdown) */
  drain(): Promise<void>;
  readonly dropped: number;
}

export function createWebhookSender(
  url: string,
  options: { timeoutMs?: number; maxQueue?: number; onError?: (message: string) => void } = {},
): WebhookSender {
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw new ReplaywatchError('E_USAGE', `--webhook is not a URL: ${url}`, { cause });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new ReplaywatchError('E_USAGE', `--webhook must be an http or https URL: ${url}`);
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxQueue = options.maxQueue ?? 1000;
  const queue: string[] = [];
  let sending = false;
  let dropped = 0;
  let idle: Array<() => void> = [];

  const post = (body: string) =>
    new Promise<void>((resolve) => {
      const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'replaywatch-canary' },
          timeout: timeoutMs,
        },
        (response) => {
          response.resume();
          response.on('end', resolve);
          response.on('error', () => resolve());
          if ((response.statusCode ?? 500) >= 300) options.onError?.(`webhook answered ${response.statusCode}`);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      request.on('error', (error) => {
        options.onError?.(`webhook failed: ${error.message}`);
        resolve();
      });
      request.end(body);
    });

  const pump = async () => {
    if (sending) return;
    sending = true;
    while (queue.length > 0) await post(queue.shift()!);
    sending = false;
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  };

  return {
    send(payload) {
      if (queue.length >= maxQueue) {
        queue.shift();
        dropped++;
      }
      queue.push(JSON.stringify(payload));
      void pump();
    },
    drain() {
      if (!sending && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    get dropped() {
      return dropped;
    },
  };
}
