import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { extractCanaryToken, type CanaryRecorder } from '../canary/index.js';
import { ReplaywatchError } from '../common/errors.js';
import { normaliseAddress, resolveClientAddress, type TrustedProxies } from './client-address.js';
import { RateLimiter, type RateLimits } from './rate-limit.js';

/*
 * The canary listener faces the internet, so every request is hostile until proven a canary hit:
 * - sizes: request line + headers within `maxHeaderSize` (Node answers 431 beyond), bodies never
 *   read (a request that has one is answered and its connection closed);
 * - time: headers within `headersTimeout`, the whole request within `requestTimeout`, idle
 *   sockets closed after `idleTimeout` (slowloris);
 * - volume: a total connection cap, a per-peer connection cap (not for trusted proxies), a
 *   token bucket per client address (IPv6 per /64) and a global one;
 * - content: answers are constant bytes; nothing from the request is reflected; no file is read;
 *   a live canary gets a small harmless page, everything else a plain 404;
 * - durability: a hit is journaled and fsync'd before its answer is sent.
 */

export interface ListenerLimits extends RateLimits {
  maxHeaderSize: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerPeer: number;
  maxRequestsPerSocket: number;
  maxUrlLength: number;
  /** longest value kept of each recorded header */
  maxHeaderValueLength: number;
}

/** Sized for a canary endpoint: a handful of legitimate fetches per canary, ever. */
export const defaultListenerLimits: ListenerLimits = {
  maxHeaderSize: 8 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  maxConnections: 1024,
  maxConnectionsPerPeer: 32,
  maxRequestsPerSocket: 100,
  // as long as the request line may be: a canary URL with a 3 KB query string is still a hit
  maxUrlLength: 8 * 1024,
  maxHeaderValueLength: 1024,
  burst: 30,
  perSecond: 5,
  globalBurst: 2000,
  globalPerSecond: 1000,
  maxKeys: 50_000,
};

export interface CanaryListenerOptions {
  host: string;
  port: number;
  recorder: Pick<CanaryRecorder, 'lookup' | 'record'>;
  trustProxy: TrustedProxies;
  limits?: Partial<ListenerLimits>;
  clock?: () => number;
}

export interface ListenerStats {
  requests: number;
  hits: number;
  notFound: number;
  rateLimited: number;
  clientErrors: number;
  refusedConnections: number;
  failures: number;
}

export interface CanaryListener {
  readonly host: string;
  readonly port: number;
  readonly stats: ListenerStats;
  close(): Promise<void>;
}

const page = Buffer.from(
  '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex, nofollow">' +
    '<title>Notes</title></head><body><p>This page is intentionally empty.</p></body></html>\n',
  'utf8',
);
const notFound = Buffer.from('Not found\n', 'utf8');
const tooMany = Buffer.from('Too many requests\n', 'utf8');
const unavailable = Buffer.from('Service unavailable\n', 'utf8');
const commonHeaders = {
  'cache-control': 'no-store, private',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow, noarchive',
  'content-security-policy': "default-src 'none'",
};

export async function startCanaryListener(options: CanaryListenerOptions): Promise<CanaryListener> {
  const limits: ListenerLimits = { ...defaultListenerLimits, ...options.limits };
  const clock = options.clock ?? Date.now;
  const limiter = new RateLimiter(limits);
  const stats: ListenerStats = { requests: 0, hits: 0, notFound: 0, rateLimited: 0, clientErrors: 0, refusedConnections: 0, failures: 0 };
  const connectionsPerPeer = new Map<string, number>();

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
      insecureHTTPParser: false,
      joinDuplicateHeaders: true,
    },
    (request, response) => {
      handle(request, response).catch(() => {
        stats.failures++;
        if (!response.headersSent) send(response, 503, unavailable, 'text/plain; charset=utf-8', true);
        else response.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.timeout = limits.idleTimeoutMs;
  server.on('timeout', (socket: Socket) => socket.destroy());
  server.on('drop', () => {
    stats.refusedConnections++;
  });

  server.on('connection', (socket: Socket) => {
    const peer = normaliseAddress(socket.remoteAddress);
    if (options.trustProxy.contains(peer)) return;
    const count = (connectionsPerPeer.get(peer) ?? 0) + 1;
    if (count > limits.maxConnectionsPerPeer) {
      stats.refusedConnections++;
      socket.destroy();
      return;
    }
    connectionsPerPeer.set(peer, count);
    socket.once('close', () => {
      const left = (connectionsPerPeer.get(peer) ?? 1) - 1;
      if (left <= 0) connectionsPerPeer.delete(peer);
      else connectionsPerPeer.set(peer, left);
    });
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    stats.clientErrors++;
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    stats.requests++;
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    const peer = normaliseAddress(request.socket.remoteAddress);
    const forwardedFor = headerText(request.headers['x-forwarded-for'], limits.maxHeaderValueLength);
    const client = resolveClientAddress(peer, forwardedFor ?? undefined, options.trustProxy);

    if (!limiter.take(rateKey(client), clock())) {
      stats.rateLimited++;
      send(response, 429, tooMany, 'text/plain; charset=utf-8', true);
      return;
    }
    const target = request.url ?? '';
    const token = (request.method === 'GET' || request.method === 'HEAD') && target.length <= limits.maxUrlLength ? extractCanaryToken(target) : null;
    const canary = token === null ? undefined : await options.recorder.lookup(token);
    if (canary === undefined) {
      stats.notFound++;
      send(response, 404, notFound, 'text/plain; charset=utf-8', hasBody);
      return;
    }
    options.recorder.record(canary, {
      ip: client,
      peer,
      method: request.method!,
      url: target,
      userAgent: headerText(request.headers['user-agent'], limits.maxHeaderValueLength),
      referer: headerText(request.headers.referer, limits.maxHeaderValueLength),
      acceptLanguage: headerText(request.headers['accept-language'], limits.maxHeaderValueLength),
      via: headerText(request.headers.via, limits.maxHeaderValueLength),
      xForwardedFor: forwardedFor,
    });
    stats.hits++;
    send(response, 200, page, 'text/html; charset=utf-8', hasBody, request.method === 'HEAD');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(
        new ReplaywatchError('E_LISTEN', `cannot listen on ${options.host}:${options.port}`, {
          cause,
          hint: cause.code === 'EADDRINUSE' ? 'another program uses that port: choose another with --listen HOST:PORT' : cause.code === 'EACCES' ? 'ports below 1024 need privileges: use a higher port behind your web server' : undefined,
        }),
      ),
    );
    server.listen({ host: options.host, port: options.port }, () => resolve());
  });
  server.on('error', () => {
    stats.failures++;
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;

  return {
    host: options.host,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, body: Buffer, type: string, close: boolean, headOnly = false): void {
  response.writeHead(status, {
    ...commonHeaders,
    'content-type': type,
    'content-length': body.length,
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(headOnly ? undefined : body);
  if (close) response.once('finish', () => response.socket?.destroySoon());
}

/** Rate-limit key: the address for IPv4, the /64 for IPv6 (privacy addresses rotate inside it). */
function rateKey(ip: string): string {
  if (!ip.includes(':') || !ipaddr.isValid(ip)) return ip;
  const parts = ipaddr.IPv6.parse(ip).parts;
  return `${parts[0]!.toString(16)}:${parts[1]!.toString(16)}:${parts[2]!.toString(16)}:${parts[3]!.toString(16)}::/64`;
}

/** A header's value as text, bounded; null when absent. */
function headerText(value: string | string[] | undefined, max: number): string | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text.length > max ? text.slice(0, max) : text;
}
