/**
 * The live dashboard of `follow --dashboard`: one page (the HTML report, renderHtml with a live
 * script) and one Server-Sent Events stream that carries the report's body each time the model
 * changes, so the page updates without a reload. Meant for loopback or a trusted network: it
 * shows the addresses of the site's visitors. It never reads a request body, answers only GET,
 * and bounds its listeners.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplaywatchError } from '../common/errors.js';
import { renderHtml, renderHtmlBody, type ReportModel } from '../report/index.js';

export interface Dashboard {
  /** http://host:port/ */
  readonly url: string;
  /** the new model: the page serves it, every open stream gets it */
  publish(model: ReportModel): void;
  close(): Promise<void>;
}

/** At most this many open event streams (each holds a socket). */
const MAX_STREAMS = 64;
const EVENTS_PATH = '/events';

/** "127.0.0.1:8080", "[::1]:8080", ":8080" (loopback), "8080" -> host and port. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !(port >= 0 && port < 65536)) throw new ReplaywatchError('E_USAGE', `--dashboard must be HOST:PORT, not ${text}`, { hint: '--dashboard 127.0.0.1:8080' });
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

export async function startDashboard(listen: { host: string; port: number }, initial: ReportModel, options: { title?: string } = {}): Promise<Dashboard> {
  let model = initial;
  const streams = new Set<ServerResponse>();
  const security = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', ...security }).end();
      return;
    }
    if (path === '/') {
      const page = renderHtml(model, { title: options.title ?? 'replaywatch · live', liveEventsPath: EVENTS_PATH });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...security }).end(request.method === 'HEAD' ? undefined : page);
      return;
    }
    if (path === EVENTS_PATH) {
      if (streams.size >= MAX_STREAMS) {
        response.writeHead(503, security).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...security });
      response.write('retry: 1000\n\n');
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain', ...security }).end('Not found');
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 10000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ReplaywatchError('E_LISTEN', `the dashboard cannot listen on ${listen.host}:${listen.port}: ${error.message}`, { cause: error })));
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    publish(next) {
      model = next;
      const event = `event: report\ndata: ${JSON.stringify({ html: renderHtmlBody(next) })}\n\n`;
      for (const stream of streams) stream.write(event);
    },
    async close() {
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
