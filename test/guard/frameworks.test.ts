// The guard in front of a one-time login link, with each framework it wraps (Node's http,
// Express, Fastify, Hono) serving on loopback, and a real HTTP client as the scanner and as the
// person (distinct 127.0.0.x addresses). The scanner's GET must not consume the token; the
// person's GET (findings mode) or click (the POST of the page) must.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { createGuard, guardExpress, guardFastify, guardHono, guardNode, type Guard } from '../../src/guard/index.js';
import { agents, fetchFrom, sleep, tempDir } from '../canary/support/harness.js';

const scanner = '127.0.0.2';
const previewer = '127.0.0.3';
const person = '127.0.0.1';
const weak = '127.0.0.5';

/** A one-time link store: a token works once. */
class Tokens {
  private readonly unused = new Set<string>();
  private next = 0;
  mint(): string {
    const token = `t${++this.next}x${Math.random().toString(36).slice(2)}`;
    this.unused.add(token);
    return token;
  }
  isUnused(token: string): boolean {
    return this.unused.has(token);
  }
  /** the handler: consumes the token on GET or POST */
  consume(token: string): { status: number; body: string } {
    if (!this.unused.delete(token)) return { status: 410, body: 'link expired' };
    return { status: 200, body: 'welcome, you are logged in' };
  }
}

function report() {
  const source = (kind: string, confidence: number, ips: string[]) => ({ kind, confidence, ips, network: { cidr: '127.0.0.0/8', asn: null, org: 'loopback', country: null, rdns: [] } });
  return { version: 1, sources: [source('prefetcher', 0.95, [scanner]), source('prefetcher', 0.3, [weak]), source('crawler', 0.9, ['127.0.0.6'])], probes: [] };
}

interface Running {
  port: number;
  close(): Promise<void>;
}

type Framework = (guard: Guard, tokens: Tokens) => Promise<Running>;

const listenNode = (server: Server): Promise<Running> =>
  new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as { port: number }).port, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });

const frameworks: Record<string, Framework> = {
  'node:http': async (guard, tokens) =>
    listenNode(
      createServer(
        guardNode(guard, (request, response) => {
          const match = /^\/login\/([\w]+)/.exec(request.url ?? '');
          const answer = match ? tokens.consume(match[1]!) : { status: 200, body: 'home' };
          response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
        }),
      ),
    ),
  express: async (guard, tokens) => {
    const app = express();
    app.use('/login', guardExpress(guard));
    app.all('/login/:token', (request, response) => {
      const answer = tokens.consume(request.params.token!);
      response.status(answer.status).type('text/plain').send(answer.body);
    });
    app.get('/', (_request, response) => void response.send('home'));
    return listenNode(createServer(app));
  },
  fastify: async (guard, tokens) => {
    const app = Fastify();
    app.route({
      method: ['GET', 'POST'],
      url: '/login/:token',
      onRequest: guardFastify(guard),
      handler: async (request, reply) => {
        const answer = tokens.consume((request.params as { token: string }).token);
        return reply.code(answer.status).type('text/plain').send(answer.body);
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as { port: number }).port, close: () => app.close() };
  },
  hono: async (guard, tokens) => {
    const app = new Hono();
    app.use('/login/*', guardHono(guard));
    app.on(['GET', 'POST'], '/login/:token', (context) => {
      const answer = tokens.consume(context.req.param('token'));
      return context.text(answer.body, answer.status as 200);
    });
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve({ port: info.port, close: () => new Promise<void>((done) => server.close(() => done())) }),
      );
    });
  },
};

for (const [name, start] of Object.entries(frameworks)) {
  describe(`guard with ${name}`, () => {
    const tokens = new Tokens();
    const shown: string[] = [];
    const guard = createGuard({ findings: report(), paths: ['/login/'], onInterstitial: (event) => shown.push(`${event.address} ${event.reason}`) });
    const always = createGuard({ mode: 'always', previewAgents: false });
    let server: Running;
    let alwaysServer: Running;

    before(async () => {
      server = await start(guard, tokens);
      alwaysServer = await start(always, tokens);
    });
    after(async () => {
      await server?.close();
      await alwaysServer?.close();
    });

    it("a scanner's GET gets the page and does not consume the token; the person's GET does", async () => {
      const token = tokens.mint();
      const scanned = await fetchFrom(server.port, `/login/${token}`, { from: scanner, headers: { 'user-agent': agents.browser } });
      assert.equal(scanned.status, 200);
      assert.match(scanned.body, /<form method="post"><button type="submit">Continue<\/button><\/form>/);
      assert.equal(scanned.headers['cache-control'], 'no-store');
      assert.match(String(scanned.headers['content-security-policy']), /form-action 'self'/);
      assert.ok(tokens.isUnused(token), 'the scanner did not consume the token');

      const preview = await fetchFrom(server.port, `/login/${token}`, { from: previewer, headers: { 'user-agent': agents.slack } });
      assert.match(preview.body, /<form method="post">/);
      assert.ok(tokens.isUnused(token), 'the declared link previewer did not consume it either');

      const opened = await fetchFrom(server.port, `/login/${token}`, { from: person, headers: { 'user-agent': agents.browser } });
      assert.deepEqual([opened.status, opened.body], [200, 'welcome, you are logged in']);
      assert.ok(!tokens.isUnused(token));
      const again = await fetchFrom(server.port, `/login/${token}`, { from: person });
      assert.equal(again.status, 410, 'a consumed link stays consumed');
      assert.deepEqual(shown, [`${scanner} findings`, `${previewer} link-preview`]);
    });

    it('the click on the page (a POST to the same URL) consumes the token, from any client', async () => {
      const token = tokens.mint();
      assert.match((await fetchFrom(server.port, `/login/${token}?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`, { from: scanner })).body, /<form method="post">/);
      const clicked = await fetchFrom(server.port, `/login/${token}?next=x`, { from: scanner, method: 'POST' });
      assert.deepEqual([clicked.status, clicked.body], [200, 'welcome, you are logged in']);
    });

    it('reflects nothing of the request into the page', async () => {
      const token = tokens.mint();
      const page = await fetchFrom(server.port, `/login/${token}?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`, { from: scanner, headers: { 'user-agent': '"><script>x</script>' } });
      assert.doesNotMatch(page.body, /script|alert|q=/);
      assert.equal(page.body, guard.page);
    });

    it('leaves weak findings, other routes and unflagged clients alone', async () => {
      const token = tokens.mint();
      assert.equal((await fetchFrom(server.port, `/login/${token}`, { from: weak })).body, 'welcome, you are logged in');
      if (name === 'node:http' || name === 'express') assert.equal((await fetchFrom(server.port, '/', { from: scanner })).body, 'home');
    });

    it("mode 'always': everyone gets the page, and the person's click consumes the token", async () => {
      const token = tokens.mint();
      const page = await fetchFrom(alwaysServer.port, `/login/${token}`, { from: person, headers: { 'user-agent': agents.browser } });
      assert.match(page.body, /<form method="post">/);
      assert.ok(tokens.isUnused(token), 'the GET did not consume it');
      const clicked = await fetchFrom(alwaysServer.port, `/login/${token}`, { from: person, method: 'POST' });
      assert.deepEqual([clicked.status, clicked.body], [200, 'welcome, you are logged in']);
    });
  });
}

describe('guard with a live list file, through the package export replaywatch/guard', () => {
  const dir = tempDir('guard-list');
  const list = join(dir.path, 'list.txt');
  const tokens = new Tokens();
  let guard: Guard;
  let server: Running;

  before(async () => {
    writeFileSync(list, '# nobody yet\n');
    // the published entry point (dist, built by npm test) behaves as the source does
    const published = (await import('replaywatch/guard')) as typeof import('../../src/guard/index.js');
    guard = published.createGuard({ list, reloadIntervalMs: 50, previewAgents: false });
    server = await listenNode(
      createServer(
        published.guardNode(guard, (request, response) => {
          const answer = tokens.consume((request.url ?? '').slice('/login/'.length));
          response.writeHead(answer.status).end(answer.body);
        }),
      ),
    );
  });
  after(async () => {
    guard?.close();
    await server?.close();
    dir.remove();
  });

  it('reloads the list when it changes: a newly listed scanner stops consuming links', async () => {
    const first = tokens.mint();
    assert.equal((await fetchFrom(server.port, `/login/${first}`, { from: '127.0.0.4' })).status, 200, 'not listed yet: straight through');
    const generation = guard.generation;
    // what `replaywatch block --to cidr` writes: comments and one network a line
    writeFileSync(list, '# written by replaywatch block --to cidr\n127.0.0.4/32\n2001:db8:1:2::/64\nnot-an-address\n');
    for (let i = 0; i < 200 && guard.generation === generation; i++) await sleep(25);
    assert.ok(guard.generation > generation, 'the guard reloaded the list');
    const second = tokens.mint();
    assert.match((await fetchFrom(server.port, `/login/${second}`, { from: '127.0.0.4' })).body, /<form method="post">/);
    assert.ok(tokens.isUnused(second));
    assert.equal(guard.decide({ method: 'GET', url: '/login/x', peer: '2001:db8:1:2:ffff::9', userAgent: '' }).reason, 'list');
  });
});

describe('guard decisions', () => {
  it('takes the client from X-Forwarded-For only behind a trusted proxy', () => {
    const guard = createGuard({ findings: report(), trustProxy: ['127.0.0.1/32'], previewAgents: false });
    const from = (peer: string, forwardedFor?: string) => guard.decide({ method: 'GET', url: '/login/x', peer, userAgent: '', forwardedFor });
    assert.equal(from('127.0.0.1', `198.51.100.1, ${scanner}`).reason, 'findings');
    assert.equal(from('127.0.0.1', `${scanner}, 198.51.100.1`).reason, null, 'the left of the header is the client\'s own word');
    assert.equal(from('127.0.0.9', scanner).reason, null, 'an untrusted peer cannot name someone else');
    assert.equal(from('::ffff:127.0.0.2').reason, 'findings');
  });

  it('keeps the previous findings when a reload finds a broken file, and says so', async () => {
    const dir = tempDir('guard-broken');
    const path = join(dir.path, 'report.json');
    writeFileSync(path, JSON.stringify(report()));
    const errors: string[] = [];
    const guard = createGuard({ findings: path, reloadIntervalMs: 50, onError: (error) => errors.push(error.message) });
    try {
      const generation = guard.generation;
      writeFileSync(path, '{"sources": [ truncated');
      for (let i = 0; i < 200 && errors.length === 0; i++) await sleep(25);
      assert.match(errors[0] ?? '', /cannot load the findings .*report\.json/);
      assert.equal(guard.generation, generation);
      assert.equal(guard.decide({ method: 'GET', url: '/', peer: scanner, userAgent: '' }).reason, 'findings');
    } finally {
      guard.close();
      dir.remove();
    }
  });

  it('escapes the page words the site configures', () => {
    const guard = createGuard({ page: { title: '<script>x</script>', button: '"><img src=x>' }, previewAgents: false });
    assert.doesNotMatch(guard.page, /<script>|<img/);
    assert.match(guard.page, /&#60;script&#62;x&#60;\/script&#62;/);
  });
});
