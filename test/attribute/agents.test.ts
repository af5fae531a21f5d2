import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, it } from 'node:test';
import { loadAttributor, type CatalogueAttributor } from '../../src/attribute/index.js';
import { requiredLiteral } from '../../src/attribute/agents.js';

const agents: [string, string | null, string | null][] = [
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'crawler', 'Googlebot'],
  ['Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'crawler', 'Googlebot'],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'crawler', 'bingbot'],
  ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'link-preview', 'Slackbot'],
  ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'link-preview', 'facebookexternalhit'],
  ['Twitterbot/1.0', 'link-preview', 'Twitterbot'],
  ['Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)', 'link-preview', 'Discordbot'],
  ['TelegramBot (like TwitterBot)', 'link-preview', 'TelegramBot'],
  ['WhatsApp/2.23.20.0 A', 'link-preview', 'WhatsApp'],
  ['Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com', 'link-preview', 'SkypeUriPreview'],
  ['LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', 'link-preview', 'LinkedInBot'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0', 'link-preview', 'iMessage'],
  ['Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)', 'scanner', 'CensysInspect'],
  ['Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 'monitor', 'UptimeRobot'],
  ['Feedly/1.0 (+http://www.feedly.com/fetcher.html; 3 subscribers)', 'feed', 'Feedly'],
  ['python-requests/2.31.0', 'tool', 'python-requests'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', null, null],
  ['Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)', null, null],
  ['Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)', null, null],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1', null, null],
  ['', null, null],
  ['-', null, null],
];

describe('declared bots', () => {
  let attributor: CatalogueAttributor;
  before(() => {
    attributor = loadAttributor();
  });

  for (const [userAgent, kind, name] of agents) {
    it(`classifies ${userAgent.slice(0, 60) || '(empty)'}`, () => {
      const found = attributor.classifyAgent(userAgent);
      if (kind === null) assert.equal(found, null);
      else {
        assert.ok(found, 'expected a declared bot');
        assert.equal(found.kind, kind);
        assert.equal(found.name, name);
      }
    });
  }

  it('reduces patterns to the literal they need', () => {
    assert.equal(requiredLiteral('Googlebot\\/'), 'Googlebot/');
    assert.equal(requiredLiteral('ba?idu'), 'idu');
    assert.equal(requiredLiteral('abc|def'), '');
    assert.equal(requiredLiteral('Yandex(?:Bot)?'), 'Yandex');
    assert.equal(requiredLiteral('[wW]get'), 'get');
  });

  it('finds every example the crawler-user-agents package ships', () => {
    const crawlers = createRequire(import.meta.url)('crawler-user-agents') as { pattern: string; instances: string[] }[];
    let missed = 0;
    let total = 0;
    for (const entry of crawlers) {
      for (const instance of entry.instances) {
        total++;
        if (attributor.classifyAgent(instance) === null) missed++;
      }
    }
    assert.ok(total > 1000);
    assert.equal(missed, 0);
  });

  it('verifies crawlers by published ranges and names impostors', () => {
    const googlebot = attributor.classifyAgent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')!;
    assert.equal(attributor.verifyCrawler('66.249.66.1', googlebot), 'verified');
    assert.equal(attributor.verifyCrawler('2001:4860:4801:10::1', googlebot), 'verified');
    assert.equal(attributor.verifyCrawler('45.155.205.9', googlebot), 'impostor');
    assert.equal(attributor.verifyCrawler('8.8.8.8', googlebot), 'impostor'); // Google, but not a crawler range
    const bingbot = attributor.classifyAgent('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)')!;
    assert.equal(attributor.verifyCrawler('157.55.39.1', bingbot), 'verified');
    assert.equal(attributor.verifyCrawler('66.249.66.1', bingbot), 'impostor');
    const slack = attributor.classifyAgent('Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)')!;
    assert.equal(attributor.verifyCrawler('3.3.3.3', slack), 'unverifiable');
    const imessage = attributor.classifyAgent(agents[11]![0])!;
    assert.equal(attributor.verifyCrawler('73.12.9.4', imessage), 'unverifiable'); // a phone, not an impostor
    const adsbot = attributor.classifyAgent('AdsBot-Google (+http://www.google.com/adsbot.html)')!;
    assert.equal(attributor.verifyCrawler('66.249.66.1', adsbot), 'verified');
    assert.equal(attributor.verifyCrawler('45.155.205.9', { kind: 'crawler', name: 'Googlebot' }), 'impostor');
    assert.equal(attributor.verifyCrawler('45.155.205.9', { kind: 'crawler', name: 'UnheardOfBot' }), 'unverifiable');
  });
});
