/**
 * The presets: each is data (a format string, a template or a key mapping) plus sample lines
 * that the tests feed to detectFormat, which must name this preset and no other.
 * Samples were written for this file after each server's documentation; they are not copied
 * from any log.
 */
import { CombinedScanner } from './combined-scanner.js';
import { parseApacheFormat } from './apache.js';
import { type JsonMapping, JsonScanner } from './json.js';
import { parseNginxFormat } from './nginx.js';
import { compileLayout, LayoutScanner, type LayoutOptions, parseTemplate, type Segment } from './pattern.js';
import type { LineScanner, LogFormat, ParsedRecord } from './record.js';
import { IisXmlScanner, W3cScanner } from './w3c.js';

export interface FormatOptions {
  /**
   * A request header (usually `x-forwarded-for`) whose first address is the real client,
   * for logs written behind a CDN or proxy. Used only where the format logs that header.
   */
  clientIpField?: string;
}

export interface Sample {
  line: string;
  /** fields the line must parse to (checked by the shared contract tests) */
  expect?: Partial<ParsedRecord>;
}

export interface PresetFormat extends LogFormat {
  readonly samples: readonly Sample[];
  /** set on aliases (`nginx` -> `combined`): detection never names an alias */
  readonly aliasOf?: string;
  /** the same format, reading the real client address from options.clientIpField */
  withOptions(options: FormatOptions): LogFormat;
}

interface PresetDefinition {
  name: string;
  description: string;
  samples: Sample[];
  stateful?: boolean;
  build(options: FormatOptions): LineScanner;
}

/** A text-layout scanner: a primary layout and fallbacks, each a Segment[]. */
export function layoutScanner(layouts: { segments: Segment[]; trailing?: LayoutOptions['trailing'] }[], options: FormatOptions): LayoutScanner {
  return new LayoutScanner(layouts.map((layout) => compileLayout(layout.segments, { trailing: layout.trailing ?? 'strict', clientIpField: options.clientIpField })));
}

// Apache's own definitions (httpd.conf) of the formats its users have.
const APACHE_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"';
const APACHE_COMMON = '%h %l %u %t "%r" %>s %b';
/** nginx's combined with `$time_iso8601` for the time, a common edit of it */
const NGINX_COMBINED_ISO = '$remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const APACHE_VHOST_COMBINED = '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"';

/**
 * combined tolerates what real combined logs contain besides combined lines: a few lines
 * in common format (a config changed), a virtual host in front (with or without its port),
 * a missing ident column, and extra fields appended after the user agent (nginx configs often
 * add `"$http_x_forwarded_for"` or `$request_time`), the time as ISO 8601 in the brackets
 * (nginx's `[$time_iso8601]`), and a syslog header in front (nginx `access_log syslog:` or
 * Apache piped to logger, as rsyslog writes it: `Oct 10 13:55:36 web1 nginx: ` or an
 * RFC 5424 / ISO-stamped header ending in `tag[pid]: `). The fallbacks run only for lines the
 * primary layout rejects. An X-Forwarded-For list in the address column counts as its first
 * address.
 */
function combinedLayouts(): { segments: Segment[]; trailing?: LayoutOptions['trailing'] }[] {
  return [
    { segments: parseApacheFormat(APACHE_COMBINED), trailing: 'ignore' },
    { segments: parseApacheFormat(APACHE_COMMON) },
    // the address column holding an X-Forwarded-For list (`%{X-Forwarded-For}i` in place of
    // %h behind a proxy): its first address is the client's; the rest of the list, ident and
    // user are skipped up to the time
    { segments: parseTemplate('{ip}, {*} [{time:clf}] "{request}" {status} {bytes} "{referrer}" "{ua}"'), trailing: 'ignore' },
    { segments: parseTemplate('{ip}, {*} [{time:clf}] "{request}" {status} {bytes}') },
    { segments: parseApacheFormat(`%v ${APACHE_COMBINED}`), trailing: 'ignore' },
    { segments: parseApacheFormat(`%v ${APACHE_COMMON}`) },
    { segments: parseApacheFormat('%h %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'), trailing: 'ignore' },
    { segments: parseNginxFormat(NGINX_COMBINED_ISO), trailing: 'ignore' },
    { segments: [...parseTemplate('{*}: '), ...parseApacheFormat(APACHE_COMBINED)], trailing: 'ignore' },
    { segments: [...parseTemplate('{*}: '), ...parseApacheFormat(APACHE_COMMON)] },
  ];
}

/** nginx-proxy-manager's own log formats (docker/rootfs/etc/nginx/conf.d/include/log.conf). */
const NPM_PROXY = '[$time_local] $upstream_cache_status $upstream_status $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server] "$http_user_agent" "$http_referer"';
const NPM_STANDARD = '[$time_local] $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] "$http_user_agent" "$http_referer"';

/** Envoy's default text format (used when no JSON format is configured). */
const ENVOY_TEXT = '[{time:iso}] "{request}" {status} {-} {-} {bytes} {duration:ms} {-} "{ip}" "{ua}" "{-}" "{host}" "{-}"';

/** CloudFront standard log columns, in the documented fixed order (lines may omit newer trailing ones). */
export const CLOUDFRONT_FIELDS = [
  'date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)', 'cs-uri-stem', 'sc-status',
  'cs(Referer)', 'cs(User-Agent)', 'cs-uri-query', 'cs(Cookie)', 'x-edge-result-type', 'x-edge-request-id',
  'x-host-header', 'cs-protocol', 'cs-bytes', 'time-taken', 'x-forwarded-for', 'ssl-protocol', 'ssl-cipher',
  'x-edge-response-result-type', 'cs-protocol-version', 'fle-status', 'fle-encrypted-fields', 'c-port',
  'time-to-first-byte', 'x-edge-detailed-result-type', 'sc-content-type', 'sc-content-len', 'sc-range-start', 'sc-range-end',
];

const CADDY: JsonMapping = {
  ip: ['request.client_ip', 'request.remote_ip'],
  time: ['ts'],
  method: ['request.method'],
  url: ['request.uri'],
  protocol: ['request.proto'],
  status: ['status'],
  bytes: ['size'],
  userAgent: ['request.headers.User-Agent'],
  referrer: ['request.headers.Referer'],
  host: ['request.host'],
  user: ['user_id'],
  cookie: ['request.headers.Cookie'],
  duration: ['duration'],
};

const TRAEFIK: JsonMapping = {
  ip: ['ClientHost', 'ClientAddr'],
  time: ['StartUTC', 'StartLocal', 'time'],
  method: ['RequestMethod'],
  url: ['RequestPath'],
  protocol: ['RequestProtocol'],
  status: ['DownstreamStatus', 'OriginStatus'],
  bytes: ['DownstreamContentSize'],
  userAgent: ['request_User-Agent'],
  referrer: ['request_Referer'],
  host: ['RequestHost', 'RequestAddr'],
  user: ['ClientUsername'],
  cookie: ['request_Cookie'],
  duration: ['Duration'],
};

/** Envoy has no fixed JSON keys; these are the ones its docs and Envoy Gateway use. */
const ENVOY: JsonMapping = {
  ip: ['downstream_remote_address', 'x-forwarded-for'],
  time: ['start_time', 'timestamp'],
  method: ['method', ':method'],
  url: ['x-envoy-origin-path', 'x-envoy-original-path', 'path', ':path'],
  protocol: ['protocol'],
  status: ['response_code'],
  bytes: ['bytes_sent'],
  userAgent: ['user-agent', 'user_agent'],
  referrer: ['referer'],
  host: [':authority', 'authority', 'host'],
  duration: ['duration'],
};

/**
 * nginx `log_format ... escape=json '{...}'`: keys named after the variables they hold (the
 * usual way; `http_referrer` with the double r is a widespread spelling). `request` is split
 * into method, url and protocol; `request_uri`, or `uri` + `args`, serve when there is no
 * `request`. Time: `time_iso8601`, `time_local` or `msec` (or a key `timestamp`, `@timestamp` or `time` holding one of them). Duration: `request_time` (seconds).
 */
const NGINX_JSON: JsonMapping = {
  ip: ['remote_addr', 'realip_remote_addr'],
  time: ['time_iso8601', 'time_local', 'msec', 'timestamp', '@timestamp', 'time'],
  request: ['request'],
  method: ['request_method'],
  url: ['request_uri'],
  path: ['uri'],
  query: ['args', 'query_string'],
  protocol: ['server_protocol'],
  status: ['status'],
  bytes: ['body_bytes_sent', 'bytes_sent'],
  referrer: ['http_referer', 'http_referrer'],
  userAgent: ['http_user_agent'],
  host: ['host', 'http_host', 'server_name'],
  user: ['remote_user'],
  cookie: ['http_cookie'],
  duration: ['request_time'],
};

/** Cloudflare Logpush, the http_requests dataset (its field names; times RFC 3339 or Unix, any unit). */
const CLOUDFLARE: JsonMapping = {
  ip: ['ClientIP'],
  time: ['EdgeStartTimestamp', 'EdgeEndTimestamp'],
  method: ['ClientRequestMethod'],
  url: ['ClientRequestURI', 'ClientRequestPath'],
  protocol: ['ClientRequestProtocol'],
  status: ['EdgeResponseStatus', 'OriginResponseStatus'],
  bytes: ['EdgeResponseBodyBytes', 'EdgeResponseBytes'],
  userAgent: ['ClientRequestUserAgent'],
  referrer: ['ClientRequestReferer'],
  host: ['ClientRequestHost'],
};

/** Google Cloud HTTP(S) load balancing and Cloud Run request logs as Cloud Logging exports them (the LogEntry's httpRequest). */
const GOOGLE_CLOUD: JsonMapping = {
  ip: ['httpRequest.remoteIp'],
  time: ['timestamp', 'receiveTimestamp'],
  method: ['httpRequest.requestMethod'],
  url: ['httpRequest.requestUrl'],
  protocol: ['httpRequest.protocol'],
  status: ['httpRequest.status'],
  bytes: ['httpRequest.responseSize'],
  userAgent: ['httpRequest.userAgent'],
  referrer: ['httpRequest.referer'],
};

/** `json` without a mapping: the key names access logs commonly use, ECS included. */
const JSON_AUTO: JsonMapping = {
  ip: ['client_ip', 'clientip', 'clientIp', 'remote_ip', 'remote_addr', 'remoteAddr', 'ip', 'client', 'ClientHost', 'c-ip', 'source.ip', 'client.ip', 'request.client_ip', 'request.remote_ip', 'downstream_remote_address', 'ClientAddr'],
  time: ['time', 'timestamp', '@timestamp', 'ts', 'time_iso8601', 'time_local', 'datetime', 'date', 'start_time', 'StartUTC', 'msec'],
  request: ['request'],
  url: ['url', 'uri', 'request_uri', 'url.original', 'request.uri', 'RequestPath', 'x-envoy-origin-path', 'path'],
  method: ['method', 'request_method', 'http_method', 'verb', 'RequestMethod', 'http.request.method', 'request.method'],
  protocol: ['protocol', 'proto', 'server_protocol', 'http_version', 'RequestProtocol', 'request.proto'],
  status: ['status', 'status_code', 'statusCode', 'response_code', 'DownstreamStatus', 'http.response.status_code'],
  bytes: ['bytes', 'size', 'body_bytes_sent', 'bytes_sent', 'response_size', 'DownstreamContentSize', 'http.response.body.bytes'],
  userAgent: ['user_agent', 'userAgent', 'http_user_agent', 'user-agent', 'agent', 'ua', 'request_User-Agent', 'user_agent.original', 'request.headers.User-Agent'],
  referrer: ['referrer', 'referer', 'http_referer', 'http_referrer', 'request_Referer', 'http.request.referrer', 'request.headers.Referer'],
  host: ['host', 'http_host', 'hostname', 'server_name', 'vhost', ':authority', 'RequestHost', 'url.domain', 'request.host'],
  user: ['user', 'remote_user', 'user_id', 'username', 'ClientUsername', 'user.name'],
};

const DEFINITIONS: PresetDefinition[] = [
  {
    name: 'combined',
    description: 'Apache/nginx combined: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" (tolerates common-format lines, a leading vhost, appended fields, an ISO time, a syslog header, an X-Forwarded-For list as the address)',
    samples: [
      {
        line: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
        expect: { ip: '127.0.0.1', user: 'frank', time: Date.UTC(2000, 9, 10, 20, 55, 36), method: 'GET', url: '/apache_pb.gif?x=1', protocol: 'HTTP/1.0', status: 200, bytes: 2326, referrer: 'http://www.example.com/start.html', userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)' },
      },
      { line: '2001:db8::7 - - [02/Mar/2026:00:00:01 +0000] "POST /login HTTP/1.1" 302 - "-" "curl/8.5.0"', expect: { ip: '2001:db8::7', bytes: -1, referrer: '', status: 302 } },
      { line: '198.51.100.4 - - [02/Mar/2026:00:00:02 +0100] "GET /search?q=vpn+router HTTP/2.0" 200 31022 "https://example.org/" "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0" "203.0.113.9"' },
      { line: '198.51.100.7, 10.0.0.2, 10.0.0.1 - - [02/Mar/2026:00:00:06 +0000] "GET /d HTTP/1.1" 200 12 "-" "Mozilla/5.0"', expect: { ip: '198.51.100.7', url: '/d', userAgent: 'Mozilla/5.0' } },
      { line: '198.51.100.5 - - [2026-03-02T00:00:03+01:00] "GET /a HTTP/1.1" 200 310 "-" "curl/8.5.0"', expect: { ip: '198.51.100.5', time: Date.UTC(2026, 2, 1, 23, 0, 3), url: '/a', status: 200 } },
      { line: 'Mar  2 00:00:04 web1 nginx: 198.51.100.6 - - [02/Mar/2026:00:00:04 +0000] "GET /b HTTP/1.1" 404 0 "-" "curl/8.5.0"', expect: { ip: '198.51.100.6', time: Date.UTC(2026, 2, 2, 0, 0, 4), url: '/b', status: 404 } },
      { line: '2026-03-02T00:00:05.120+00:00 web1 apache2[812]: 2001:db8::9 - - [02/Mar/2026:00:00:05 +0000] "GET /c HTTP/1.1" 200 12 "https://example.org/" "Mozilla/5.0"', expect: { ip: '2001:db8::9', url: '/c', referrer: 'https://example.org/' } },
    ],
    build: (options) => new CombinedScanner(layoutScanner(combinedLayouts(), options)),
  },
  {
    name: 'common',
    description: 'Common Log Format: %h %l %u %t "%r" %>s %b',
    samples: [
      { line: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326', expect: { ip: '127.0.0.1', url: '/apache_pb.gif', status: 200, bytes: 2326, userAgent: '' } },
      { line: '192.0.2.33 - - [01/Feb/2026:23:59:59 +0000] "HEAD / HTTP/1.1" 304 -' },
    ],
    build: (options) => layoutScanner([{ segments: parseApacheFormat(APACHE_COMMON) }], options),
  },
  {
    name: 'vhost_combined',
    description: 'Apache vhost_combined: %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
    samples: [
      { line: 'www.example.com:443 203.0.113.7 - - [02/Mar/2026:10:00:00 +0000] "GET /docs/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15"', expect: { host: 'www.example.com', ip: '203.0.113.7', url: '/docs/', bytes: 5120 } },
      { line: 'shop.example.net:80 198.51.100.20 - - [02/Mar/2026:10:00:03 +0000] "GET /cart?id=17 HTTP/1.1" 301 233 "-" "Wget/1.21.4"' },
    ],
    build: (options) => layoutScanner([{ segments: parseApacheFormat(APACHE_VHOST_COMBINED), trailing: 'ignore' }], options),
  },
  {
    name: 'traefik-clf',
    description: 'Traefik access log, CLF: combined + request count, "router", "backend URL", duration in ms',
    samples: [
      { line: '10.1.2.3 - - [05/Jan/2026:08:01:02 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 1532 "-" "okhttp/4.12.0" 8812 "api@docker" "http://172.20.0.5:8080" 14ms', expect: { ip: '10.1.2.3', url: '/api/v1/items?page=2', status: 200, bytes: 1532, duration: 14, userAgent: 'okhttp/4.12.0' } },
      { line: '10.1.2.4 - - [05/Jan/2026:08:01:03 +0000] "GET /health HTTP/2.0" - - "-" "kube-probe/1.29" 8813 "-" "-" 0ms' },
    ],
    build: (options) => layoutScanner([{ segments: parseTemplate('{ip} {-} {user} [{time:clf}] "{request}" {status} {bytes} "{referrer}" "{ua}" {-} "{-}" "{-}" {duration:ms}'), trailing: 'ignore' }], options),
  },
  {
    name: 'nginx-proxy-manager',
    description: "nginx-proxy-manager proxy-host log ([time] cache upstream status - method scheme host \"uri\" [Client ip] ...), also its 'standard' and combined lines",
    samples: [
      { line: '[03/Feb/2026:09:15:00 +0000] MISS 200 200 - GET https app.example.com "/dashboard?tab=2" [Client 203.0.113.50] [Length 8123] [Gzip 3.44] [Sent-to 10.0.0.7:3000] "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36" "https://app.example.com/"', expect: { ip: '203.0.113.50', host: 'app.example.com', method: 'GET', url: '/dashboard?tab=2', status: 200, bytes: 8123, referrer: 'https://app.example.com/' } },
      { line: '[03/Feb/2026:09:15:04 +0000] 404 - GET http old.example.com "/wp-login.php" [Client 198.51.100.77] [Length 150] [Gzip -] "python-requests/2.31.0" "-"' },
    ],
    build: (options) =>
      layoutScanner([{ segments: parseNginxFormat(NPM_PROXY) }, { segments: parseNginxFormat(NPM_STANDARD) }, ...combinedLayouts()], options),
  },
  {
    name: 'haproxy',
    description: 'HAProxy HTTP log format (option httplog), with or without a syslog prefix',
    samples: [
      { line: '203.0.113.5:51122 [06/Mar/2026:12:14:14.655] www-in~ app/app1 10/0/30/69/109 200 2750 - - ---- 1/1/0/0/0 0/0 "GET /index.html?lang=en HTTP/1.1"', expect: { ip: '203.0.113.5', time: Date.UTC(2026, 2, 6, 12, 14, 14, 655), url: '/index.html?lang=en', status: 200, bytes: 2750, duration: 109 } },
      { line: 'Mar  6 12:14:15 lb1 haproxy[14389]: 198.51.100.3:40110 [06/Mar/2026:12:14:15.001] www-in~ app/app2 0/0/1/12/13 404 312 - - ---- 2/2/0/0/0 0/0 {example.com} "GET /missing HTTP/1.1"' },
    ],
    build: (options) =>
      layoutScanner(
        [
          { segments: parseTemplate('{ip} [{time:clf}] {-} {-} {duration:timers} {status} {bytes} {*}"{request}"'), trailing: 'ignore' },
          { segments: parseTemplate('{*}]: {ip} [{time:clf}] {-} {-} {duration:timers} {status} {bytes} {*}"{request}"'), trailing: 'ignore' },
        ],
        options,
      ),
  },
  {
    name: 'zoraxy',
    description: 'Zoraxy reverse proxy HTTP log ([time] [router:..] [origin:host] [client: ip] [useragent: ..] METHOD url status)',
    samples: [
      { line: '2026/02/10 08:00:00 [2026-02-10 08:00:00.125000] [router:host-http] [origin:blog.example.com] [client: 203.0.113.14] [useragent: Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)] GET /feed.xml 200', expect: { ip: '203.0.113.14', host: 'blog.example.com', method: 'GET', url: '/feed.xml', status: 200, time: Date.UTC(2026, 1, 10, 8, 0, 0, 125) } },
    ],
    build: (options) =>
      layoutScanner([{ segments: parseTemplate('{-} {-} [{time:iso}] [router:{-}] [origin:{host}] [client: {ip}] [useragent: {ua}] {method} {url} {status}') }], options),
  },
  {
    name: 'alb',
    description: 'AWS Application Load Balancer access log (url = path + query of the request, host from it); also the Classic Load Balancer\'s',
    samples: [
      { line: 'https 2026-01-20T10:11:12.123456Z app/web-lb/0123456789abcdef 203.0.113.40:51234 10.0.1.10:8080 0.001 0.045 0.000 200 200 512 4096 "GET https://shop.example.com:443/product/42?ref=mail HTTP/1.1" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef "Root=1-65ab1234-0123456789abcdef01234567" "shop.example.com" "-" 0 2026-01-20T10:11:12.077000Z "forward" "-" "-" "10.0.1.10:8080" "200" "-" "-"', expect: { ip: '203.0.113.40', host: 'shop.example.com', url: '/product/42?ref=mail', status: 200, bytes: 4096, duration: 45, protocol: 'HTTP/1.1' } },
      { line: '2026-01-20T10:11:13.945958Z my-loadbalancer 198.51.100.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 404 404 0 29 "GET http://www.example.com:80/missing?x=1 HTTP/1.1" "curl/8.5.0" - -', expect: { ip: '198.51.100.39', url: '/missing?x=1', status: 404, bytes: 29, time: Date.UTC(2026, 0, 20, 10, 11, 13, 945) } },
    ],
    build: (options) =>
      layoutScanner(
        [
          { segments: parseTemplate('{-} {time:iso} {-} {ip} {-} {-} {duration:s} {-} {status} {-} {-} {bytes} "{request}" "{ua}"'), trailing: 'ignore' },
          // the Classic Load Balancer's lines: no type first, the time is
          { segments: parseTemplate('{time:iso} {-} {ip} {-} {-} {duration:s} {-} {status} {-} {-} {bytes} "{request}" "{ua}"'), trailing: 'ignore' },
        ],
        options,
      ),
  },
  {
    name: 'w3c',
    description: 'W3C extended / IIS (#Fields: header defines the columns; date and time are UTC)',
    stateful: true,
    samples: [
      { line: '#Software: Microsoft Internet Information Services 10.0' },
      { line: '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken' },
      { line: '2026-01-15 07:30:00 10.0.0.4 GET /default.aspx id=7&lang=en 443 - 203.0.113.90 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://www.example.com/ 200 0 0 31', expect: { ip: '203.0.113.90', url: '/default.aspx?id=7&lang=en', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', status: 200, duration: 31, time: Date.UTC(2026, 0, 15, 7, 30, 0) } },
    ],
    build: (options) => new W3cScanner({ separator: 32, durationUnit: 1, decoding: 'plus', clientIpField: options.clientIpField }),
  },
  {
    name: 'cloudfront',
    description: 'Amazon CloudFront standard log (tab-separated; #Fields header or the documented column order)',
    stateful: true,
    samples: [
      { line: '2026-01-21\t06:05:04\tFRA56-P1\t2345\t203.0.113.61\tGET\td111111abcdef8.cloudfront.net\t/images/logo.png\t200\thttps://www.example.com/\tMozilla/5.0%20(X11;%20Linux%20x86_64)\tv=3\t-\tHit\tAbCdEf0123456789==\twww.example.com\thttps\t180\t0.002\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t50432\t0.002\tHit\timage/png\t2100\t-\t-', expect: { ip: '203.0.113.61', host: 'www.example.com', url: '/images/logo.png?v=3', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', status: 200, bytes: 2345, duration: 2, protocol: 'HTTP/2.0' } },
    ],
    build: (options) => new W3cScanner({ separator: 9, defaultFields: CLOUDFRONT_FIELDS, durationUnit: 1000, decoding: 'percent', clientIpField: options.clientIpField }),
  },
  {
    name: 'iis-xml',
    description: 'IIS logging to ETW/Event Log as XML events (<Data Name="c-ip">...) one per line',
    samples: [
      { line: '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-IIS-Logging"/><EventID>6200</EventID></System><EventData><Data Name="date">2026-01-02</Data><Data Name="time">03:04:05</Data><Data Name="c-ip">203.0.113.8</Data><Data Name="cs-method">GET</Data><Data Name="cs-uri-stem">/owa/</Data><Data Name="cs-uri-query">a=1&amp;b=2</Data><Data Name="sc-status">302</Data><Data Name="sc-bytes">410</Data><Data Name="csUser-Agent">Mozilla/5.0+(Windows+NT+10.0)</Data><Data Name="CustomFields" /></EventData></Event>', expect: { ip: '203.0.113.8', url: '/owa/?a=1&b=2', status: 302, bytes: 410, userAgent: 'Mozilla/5.0 (Windows NT 10.0)', time: Date.UTC(2026, 0, 2, 3, 4, 5) } },
    ],
    build: (options) => new IisXmlScanner(options.clientIpField),
  },
  {
    name: 'caddy',
    description: 'Caddy JSON access log (request.client_ip, ts, request.uri, status, size, request.headers.User-Agent[0])',
    samples: [
      { line: '{"level":"info","ts":1767225600.5,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"10.0.0.2","remote_port":"51000","client_ip":"203.0.113.77","proto":"HTTP/2.0","method":"GET","host":"example.com","uri":"/notes/123?draft=1","headers":{"User-Agent":["Mozilla/5.0 (Android 14; Mobile; rv:123.0) Gecko/123.0 Firefox/123.0"],"Referer":["https://example.com/notes"],"Accept":["*/*"]},"tls":{"resumed":false,"proto":"h2"}},"bytes_read":0,"user_id":"","duration":0.0123,"size":5123,"status":200,"resp_headers":{"Server":["Caddy"],"Etag":["\\"abc\\""]}}', expect: { ip: '203.0.113.77', time: 1767225600500, url: '/notes/123?draft=1', protocol: 'HTTP/2.0', host: 'example.com', status: 200, bytes: 5123, duration: 12.3, referrer: 'https://example.com/notes', userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:123.0) Gecko/123.0 Firefox/123.0' } },
    ],
    build: (options) => new JsonScanner(CADDY, { durationUnit: 1000, clientIpField: options.clientIpField }),
  },
  {
    name: 'traefik',
    description: 'Traefik JSON access log (ClientHost, StartUTC, RequestMethod, RequestPath, DownstreamStatus, request_User-Agent)',
    samples: [
      { line: '{"ClientAddr":"203.0.113.31:40100","ClientHost":"203.0.113.31","ClientPort":"40100","ClientUsername":"-","DownstreamContentSize":742,"DownstreamStatus":403,"Duration":2150000,"OriginStatus":403,"RequestAddr":"git.example.com","RequestHost":"git.example.com","RequestMethod":"GET","RequestPath":"/admin/users?sort=new","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"https","RouterName":"git@docker","StartUTC":"2026-02-14T11:12:13.456789012Z","entryPointName":"websecure","level":"info","msg":"","request_User-Agent":"Go-http-client/1.1","time":"2026-02-14T11:12:13Z"}', expect: { ip: '203.0.113.31', url: '/admin/users?sort=new', status: 403, bytes: 742, duration: 2.15, host: 'git.example.com', time: Date.UTC(2026, 1, 14, 11, 12, 13, 456), userAgent: 'Go-http-client/1.1' } },
    ],
    build: (options) => new JsonScanner(TRAEFIK, { durationUnit: 0.000001, clientIpField: options.clientIpField }),
  },
  {
    name: 'envoy',
    description: 'Envoy access log: JSON (Envoy Gateway keys) or the default text format, also behind a container-runtime prefix',
    samples: [
      { line: '2026-02-01T09:00:00.100000000+00:00 stdout F {":authority":"api.example.com","bytes_received":0,"bytes_sent":980,"downstream_remote_address":"203.0.113.12:55000","duration":7,"method":"GET","protocol":"HTTP/1.1","response_code":200,"start_time":"2026-02-01T09:00:00.093Z","user-agent":"curl/8.5.0","x-envoy-origin-path":"/v2/orders?id=9","x-forwarded-for":"203.0.113.12"}', expect: { ip: '203.0.113.12', host: 'api.example.com', url: '/v2/orders?id=9', status: 200, bytes: 980, duration: 7, time: Date.UTC(2026, 1, 1, 9, 0, 0, 93) } },
      { line: '[2026-02-01T09:00:01.000Z] "GET /status HTTP/1.1" 200 - 0 15 2 1 "198.51.100.2" "Prometheus/2.49.1" "5d2f1b7e-0000-4000-8000-000000000000" "api.example.com" "10.1.0.5:8080"', expect: { ip: '198.51.100.2', url: '/status', status: 200, bytes: 15, duration: 2 } },
    ],
    build: (options) =>
      new JsonScanner(ENVOY, { durationUnit: 1, clientIpField: options.clientIpField }, layoutScanner([{ segments: parseTemplate(ENVOY_TEXT), trailing: 'ignore' }], options)),
  },
  {
    name: 'nginx-json',
    description: 'nginx log_format escape=json with keys named after the variables (remote_addr, time_iso8601|time_local|msec, request, status, body_bytes_sent, http_referer, http_user_agent, request_time)',
    samples: [
      { line: '{"time_local":"12/Feb/2026:20:30:40 +0100","remote_addr":"203.0.113.25","remote_user":"","request":"GET /reset?token=k3j4h5 HTTP/1.1","status":"200","body_bytes_sent":"1024","request_time":"0.015","http_referrer":"","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0","http_x_forwarded_for":""}', expect: { ip: '203.0.113.25', time: Date.UTC(2026, 1, 12, 19, 30, 40), url: '/reset?token=k3j4h5', status: 200, bytes: 1024, duration: 15 } },
      { line: '{"time_iso8601":"2026-02-12T20:30:41+01:00","remote_addr":"2001:db8:1::5","request_method":"GET","request_uri":"/feed","server_protocol":"HTTP/2.0","status":304,"body_bytes_sent":0,"http_referer":"","http_user_agent":"NetNewsWire (RSS Reader; https://netnewswire.com/)","host":"blog.example.com"}' },
      { line: '{"time":"2026-02-12T20:30:42+00:00","remote_addr":"198.51.100.7","request":"GET /b HTTP/1.1","status":"404","body_bytes_sent":"0","http_referer":"-","http_user_agent":"curl/8.5.0"}', expect: { ip: '198.51.100.7', time: Date.UTC(2026, 1, 12, 20, 30, 42), url: '/b', status: 404 } },
    ],
    build: (options) => new JsonScanner(NGINX_JSON, { durationUnit: 1000, clientIpField: options.clientIpField }),
  },
  {
    name: 'cloudflare',
    description: 'Cloudflare Logpush http_requests JSON (ClientIP, ClientRequestURI, EdgeStartTimestamp, EdgeResponseStatus, ...)',
    samples: [
      { line: '{"ClientIP":"203.0.113.61","ClientRequestHost":"www.example.com","ClientRequestMethod":"GET","ClientRequestProtocol":"HTTP/2","ClientRequestReferer":"https://www.example.com/","ClientRequestURI":"/members/search?q=vpn","ClientRequestUserAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0","EdgeResponseBytes":4213,"EdgeResponseStatus":200,"EdgeStartTimestamp":"2026-03-01T12:00:01Z","RayID":"7c1f2e3d4b5a6978"}', expect: { ip: '203.0.113.61', host: 'www.example.com', url: '/members/search?q=vpn', status: 200, bytes: 4213, time: Date.UTC(2026, 2, 1, 12, 0, 1) } },
      { line: '{"ClientIP":"2001:db8::61","ClientRequestHost":"www.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/","ClientRequestUserAgent":"curl/8.5.0","EdgeResponseBytes":512,"EdgeResponseStatus":403,"EdgeStartTimestamp":1772366402000000000}', expect: { ip: '2001:db8::61', status: 403, time: Date.UTC(2026, 2, 1, 12, 0, 2) } },
    ],
    build: () => new JsonScanner(CLOUDFLARE),
  },
  {
    name: 'gcp',
    description: 'Google Cloud load balancer / Cloud Run request logs exported from Cloud Logging (JSON LogEntry with httpRequest)',
    samples: [
      { line: '{"httpRequest":{"requestMethod":"GET","requestUrl":"https://www.example.com/orders/4711?tab=2","status":200,"responseSize":"5120","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15","remoteIp":"203.0.113.62","referer":"https://www.example.com/","protocol":"HTTP/1.1"},"insertId":"1x2y3z","resource":{"type":"http_load_balancer"},"severity":"INFO","timestamp":"2026-03-01T12:00:03.512Z"}', expect: { ip: '203.0.113.62', url: '/orders/4711?tab=2', status: 200, bytes: 5120, time: Date.UTC(2026, 2, 1, 12, 0, 3, 512), protocol: 'HTTP/1.1' } },
    ],
    build: () => new JsonScanner(GOOGLE_CLOUD),
  },
  {
    name: 'json',
    description: 'JSON lines with common key names (client_ip/remote_addr, time/timestamp/ts, url/uri/request, status, bytes/size, user_agent, referer, ECS keys); json:ip=key,url=key,... for an explicit mapping',
    samples: [
      { line: '{"timestamp":"2026-03-01T12:00:00.250Z","client_ip":"203.0.113.99","method":"GET","url":"/share/abc123","status":200,"bytes":2048,"user_agent":"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)","referrer":null}', expect: { ip: '203.0.113.99', time: Date.UTC(2026, 2, 1, 12, 0, 0, 250), url: '/share/abc123', status: 200, bytes: 2048, userAgent: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' } },
    ],
    build: (options) => new JsonScanner(JSON_AUTO, { durationUnit: 1000, clientIpField: options.clientIpField }),
  },
];

const ALIASES: { name: string; of: string; description: string }[] = [
  { name: 'nginx', of: 'combined', description: "nginx's predefined 'combined' log_format (same as Apache combined)" },
  { name: 'litespeed', of: 'combined', description: 'LiteSpeed / OpenLiteSpeed access log (combined)' },
  { name: 'apache', of: 'combined', description: 'Apache combined' },
];

/** The generic-mapping scanner behind `json:ip=...,url=...`. */
export function jsonMappingFormat(name: string, mapping: JsonMapping, durationUnit: number | undefined, options: FormatOptions): LogFormat {
  return {
    name,
    description: 'JSON lines with an explicit field mapping',
    createScanner: () => new JsonScanner(mapping, { durationUnit: durationUnit ?? 1000, clientIpField: options.clientIpField }),
  };
}

function makePreset(definition: PresetDefinition, options: FormatOptions, name = definition.name, aliasOf?: string, description = definition.description): PresetFormat {
  return {
    name,
    description,
    samples: definition.samples,
    aliasOf,
    stateful: definition.stateful,
    createScanner: () => definition.build(options),
    withOptions: (next) => makePreset(definition, next, name, aliasOf, description),
  };
}

function buildPresets(): Record<string, PresetFormat> {
  const presets: Record<string, PresetFormat> = {};
  for (const definition of DEFINITIONS) presets[definition.name] = makePreset(definition, {});
  for (const alias of ALIASES) {
    const definition = DEFINITIONS.find((candidate) => candidate.name === alias.of)!;
    presets[alias.name] = makePreset(definition, {}, alias.name, alias.of, alias.description);
  }
  return presets;
}

/** name -> preset. Aliases (nginx, litespeed, apache) share their target's scanner. */
export const PRESETS: Readonly<Record<string, PresetFormat>> = buildPresets();

/**
 * Detection order, most specific first: on equal evidence the earlier preset wins
 * (vhost_combined over combined; common over combined, whose fallbacks also read common lines).
 * nginx-proxy-manager reads combined lines too (its hosts log both): after combined, so a
 * combined log is named combined, and a proxy-host log (whose lines combined cannot read) still
 * nginx-proxy-manager.
 */
export const DETECTION_ORDER: readonly string[] = [
  'w3c', 'cloudfront', 'iis-xml', 'alb', 'caddy', 'traefik', 'envoy', 'nginx-json', 'cloudflare', 'gcp', 'json',
  'haproxy', 'zoraxy', 'traefik-clf', 'vhost_combined', 'common', 'combined', 'nginx-proxy-manager',
];

