import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Guard } from './guard.js';
import { pageHeaders } from './page.js';

/*
 * The guard in front of a handler of Node's http, Express, Fastify and Hono. Each adapter
 * turns its framework's request into a GuardRequest and answers the page its own way. The
 * frameworks are described here only by the few members used: the guard depends on none.
 */

function header(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function decideForNode(guard: Guard, request: IncomingMessage, url = request.url ?? '/') {
  return guard.decide({
    method: request.method ?? 'GET',
    url,
    peer: request.socket.remoteAddress ?? '',
    userAgent: header(request.headers['user-agent']),
    forwardedFor: request.headers['x-forwarded-for'] === undefined ? undefined : header(request.headers['x-forwarded-for']),
  });
}

function sendPage(guard: Guard, request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, { ...pageHeaders, 'content-length': Buffer.byteLength(guard.page) });
  response.end(request.method === 'HEAD' ? undefined : guard.page);
}

export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** `http.createServer(guardNode(guard, handler))`. */
export function guardNode(guard: Guard, handler: NodeHandler): NodeHandler {
  return (request, response) => {
    if (decideForNode(guard, request).interstitial) sendPage(guard, request, response);
    else handler(request, response);
  };
}

/** Express middleware: `app.use('/login', guardExpress(guard))` or per route. */
export function guardExpress(guard: Guard): (request: IncomingMessage & { originalUrl?: string }, response: ServerResponse, next: () => void) => void {
  return (request, response, next) => {
    if (decideForNode(guard, request, request.originalUrl ?? request.url).interstitial) sendPage(guard, request, response);
    else next();
  };
}

interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: string): FastifyReplyLike;
}

/** A Fastify onRequest hook: `app.addHook('onRequest', guardFastify(guard))`, or a route's `onRequest`. */
export function guardFastify(guard: Guard): (request: { raw: IncomingMessage; url: string }, reply: FastifyReplyLike) => Promise<FastifyReplyLike | undefined> {
  return async (request, reply) => {
    if (!decideForNode(guard, request.raw, request.url).interstitial) return undefined;
    // an async hook that sends answers the request: returning the reply ends the chain
    return reply.code(200).headers({ ...pageHeaders }).send(request.raw.method === 'HEAD' ? '' : guard.page);
  };
}

interface HonoContextLike {
  req: { method: string; url: string; header(name: string): string | undefined };
  /** on Node (@hono/node-server) the bindings hold the IncomingMessage */
  env?: { incoming?: IncomingMessage } | unknown;
}

/**
 * Hono middleware: `app.use('/login/*', guardHono(guard))`. The client address comes from the
 * Node server's socket (@hono/node-server); on other runtimes pass `address`.
 */
export function guardHono(guard: Guard, options: { address?: (context: HonoContextLike) => string } = {}): (context: HonoContextLike, next: () => Promise<void>) => Promise<Response | void> {
  return async (context, next) => {
    const incoming = (context.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const url = new URL(context.req.url);
    const decision = guard.decide({
      method: context.req.method,
      url: url.pathname + url.search,
      peer: options.address?.(context) ?? incoming?.socket?.remoteAddress ?? '',
      userAgent: context.req.header('user-agent') ?? '',
      forwardedFor: context.req.header('x-forwarded-for'),
    });
    if (!decision.interstitial) return next();
    return new Response(context.req.method === 'HEAD' ? null : guard.page, { status: 200, headers: { ...pageHeaders } });
  };
}
