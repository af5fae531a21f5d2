import { createHmac } from 'node:crypto';
import type { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { ReplaywatchError } from '../common/errors.js';

/*
 * Posts each hit as JSON to a URL the operator configured. Best effort and bounded: one request
 * at a time, a queue of at most `maxQueue` (the oldest are dropped beyond it), a timeout per
 * request, no retries unless asked (`follow` asks: its findings are told once). The hit itself
 * is already durable in the store; the webhook only tells.
 *
 * With a `secret`, each body is signed: `X-Replaywatch-Signature: sha256=<hex HMAC-SHA256 of the
 * body>`, so the receiver can check who sent it (compare in constant time).
 */

/** The signature header's value for a body. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookSender {
  send(payload: unknown): void;
  /** resolves when the queue is empty (tests, shutdown) */
  drain(): Promise<void>;
  readonly dropped: number;
}

export function createWebhookSender(
  url: string,
  options: {
    timeoutMs?: number;
    maxQueue?: number;
    onError?: (message: string) => void;
    /** sign each body (X-Replaywatch-Signature) */
    secret?: string;
    /** attempts after the first, on a network error or a 429/5xx answer; default 0 */
    retries?: number;
    /** first wait between attempts, doubled each time; default 500 ms */
    retryDelayMs?: number;
    userAgent?: string;
  } = {},
): WebhookSender {
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw new ReplaywatchError('E_USAGE', `--webhook is not a URL: ${url}`, { cause });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new ReplaywatchError('E_USAGE', `--webhook must be an http or https URL: ${url}`);
  // node:https (and with it TLS) is loaded only for a webhook that needs it, not by every
  // command that loads the canary stage (~10 ms of `canary new`)
  const request: typeof httpRequest = createRequire(import.meta.url)(target.protocol === 'https:' ? 'node:https' : 'node:http').request;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxQueue = options.maxQueue ?? 1000;
  const queue: string[] = [];
  let sending = false;
  let dropped = 0;
  let idle: Array<() => void> = [];

  const retries = options.retries ?? 0;
  const retryDelayMs = options.retryDelayMs ?? 500;
  /** One attempt; resolves to whether another attempt may succeed. */
  const attempt = (body: string) =>
    new Promise<boolean>((resolve) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': options.userAgent ?? 'replaywatch-canary' };
      if (options.secret !== undefined) headers['x-replaywatch-signature'] = signBody(options.secret, body);
      const sent = request(target, { method: 'POST', headers, timeout: timeoutMs }, (response) => {
        const status = response.statusCode ?? 500;
        response.resume();
        response.on('end', () => resolve(status === 429 || status >= 500));
        response.on('error', () => resolve(true));
        if (status >= 300) options.onError?.(`webhook answered ${status}`);
      });
      sent.on('timeout', () => sent.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      sent.on('error', (error) => {
        options.onError?.(`webhook failed: ${error.message}`);
        resolve(true);
      });
      sent.end(body);
    });
  const post = async (body: string): Promise<void> => {
    for (let tried = 0; ; tried++) {
      const again = await attempt(body);
      if (!again || tried >= retries) return;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** tried));
    }
  };

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
