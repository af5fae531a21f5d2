import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canaryUrl, createCanaryMatcher, extractCanaryToken, isTokenShape, mintToken } from '../../src/canary/index.js';

describe('canary tokens', () => {
  it('are 120 random bits in a fixed, recognisable shape', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const token = mintToken();
      assert.ok(isTokenShape(token), token);
      seen.add(token);
    }
    assert.equal(seen.size, 2000);
    // every bit of the 15 random bytes lands in the token
    assert.equal(mintToken(() => Buffer.alloc(15, 0)), '000000-000000-000000-000000');
    assert.equal(mintToken(() => Buffer.alloc(15, 0xff)), 'zzzzzz-zzzzzz-zzzzzz-zzzzzz');
  });

  it('sit under /notes/ of the base URL', () => {
    assert.equal(canaryUrl('https://example.org/', 'abc'), 'https://example.org/notes/abc');
    assert.equal(canaryUrl('https://example.org/blog/', 'abc'), 'https://example.org/blog/notes/abc');
    assert.throws(() => canaryUrl('ftp://example.org', 'abc'), /http or https/);
  });
});

describe('canary matcher (log path)', () => {
  const tokens = [mintToken(), mintToken(), mintToken()];
  const matcher = createCanaryMatcher(tokens);
  const match = (url: string) => {
    // the URL sits inside a line, as in a log
    const line = Buffer.from(`1.2.3.4 - - [x] "GET ${url} HTTP/1.1" 200 12`, 'latin1');
    const start = line.indexOf(' /') + 1;
    return matcher.match(line, start, start + Buffer.byteLength(url, 'latin1'));
  };

  it('finds each token, with a base path, query, fragment or trailing slash', () => {
    assert.equal(match(`/notes/${tokens[0]}`), 0);
    assert.equal(match(`/blog/notes/${tokens[1]}?utm_source=x`), 1);
    assert.equal(match(`/notes/${tokens[2]}/`), 2);
    assert.equal(match(`/notes/${tokens[2]}#top`), 2);
    assert.equal(match(`/notes/${tokens[2]}/?a=1`), 2);
  });

  it('rejects everything else, including near misses', () => {
    assert.equal(match('/'), -1);
    assert.equal(match('/search?q=notes'), -1);
    assert.equal(match(`/notes/${mintToken()}`), -1); // right shape, unknown token
    assert.equal(match(`/note/${tokens[0]}`), -1);
    assert.equal(match(`/notes/${tokens[0]}x`), -1);
    assert.equal(match(`/notes/${tokens[0]}/more`), -1);
    assert.equal(match(`/notes/${tokens[0]!.toUpperCase()}`), -1);
    assert.equal(match(`/notes/${tokens[0]!.slice(0, -1)}`), -1);
    assert.equal(createCanaryMatcher([]).match(Buffer.from(`/notes/${tokens[0]}`), 0, 34), -1);
  });

  it('never reads past the end it is given', () => {
    const line = Buffer.from(`/notes/${tokens[0]}`, 'latin1');
    assert.equal(matcher.match(line, 0, line.length - 1), -1);
  });
});

describe('canary token in a request target (listener path)', () => {
  const token = mintToken();
  it('takes the token from a path ending in /notes/<token>', () => {
    assert.equal(extractCanaryToken(`/notes/${token}`), token);
    assert.equal(extractCanaryToken(`/x/notes/${token}/?q=1`), token);
    assert.equal(extractCanaryToken(`/notes/${token}/extra`), null);
    assert.equal(extractCanaryToken(`/notes/${token.replace(/-/g, '_')}`), null);
    assert.equal(extractCanaryToken('*'), null);
    assert.equal(extractCanaryToken(''), null);
  });
});
