import type { Hit } from './world.js';

/** How a simulated request is written: one line per request, plus headers where the format has them. */
export interface LogWriter {
  /** lines that start a file (W3C) or a new day inside one; '' when none */
  header(time: number): string;
  /** true when header() must be repeated when the (UTC) day changes, as IIS does */
  headerPerDay: boolean;
  line(hit: Hit): string;
}

export const simulateFormats = ['combined', 'nginx-json', 'w3c', 'caddy'] as const;
export type SimulateFormat = (typeof simulateFormats)[number];

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Apache/nginx `[%d/%b/%Y:%H:%M:%S %z]` in the server's local offset. */
export function clfTime(time: number, utcOffsetMinutes: number): string {
  const local = new Date(time + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(utcOffsetMinutes);
  return `${pad(local.getUTCDate())}/${months[local.getUTCMonth()]}/${local.getUTCFullYear()}:${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(offset / 60))}${pad(offset % 60)}`;
}

/** Apache escapes '"' and '\' inside quoted fields. */
function quoted(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`);
}

export function createWriter(format: SimulateFormat, options: { host: string; utcOffsetMinutes: number }): LogWriter {
  const { host, utcOffsetMinutes } = options;
  switch (format) {
    case 'combined':
      return {
        header: () => '',
        headerPerDay: false,
        line: (hit) =>
          `${hit.ip} - ${hit.user === '' ? '-' : hit.user} [${clfTime(hit.time, utcOffsetMinutes)}] "${hit.method} ${quoted(hit.url)} ${hit.protocol}" ${hit.status} ${hit.bytes > 0 ? hit.bytes : '-'} "${hit.referrer === '' ? '-' : quoted(hit.referrer)}" "${hit.userAgent === '' ? '-' : quoted(hit.userAgent)}"`,
      };
    case 'nginx-json':
      // the widespread `log_format json_combined escape=json` recipe: every value a string
      return {
        header: () => '',
        headerPerDay: false,
        line: (hit) =>
          `{"time_local":"${clfTime(hit.time, utcOffsetMinutes)}","remote_addr":"${hit.ip}","remote_user":"${hit.user}",` +
          `"request":${JSON.stringify(`${hit.method} ${hit.url} ${hit.protocol}`)},"status": "${hit.status}","body_bytes_sent":"${hit.bytes}",` +
          `"request_time":"${(hit.duration / 1000).toFixed(3)}","http_referrer":${JSON.stringify(hit.referrer)},"http_user_agent":${JSON.stringify(hit.userAgent)}}`,
      };
    case 'w3c': {
      const fields =
        'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken';
      return {
        header: (time) => {
          const date = new Date(time);
          return (
            '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n' +
            `#Date: ${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}\n` +
            `#Fields: ${fields}\n`
          );
        },
        headerPerDay: true,
        line: (hit) => {
          // IIS writes UTC, '+' for spaces in the agent, '-' for empty fields
          const date = new Date(hit.time);
          const queryAt = hit.url.indexOf('?');
          const stem = queryAt < 0 ? hit.url : hit.url.slice(0, queryAt);
          const query = queryAt < 0 || queryAt === hit.url.length - 1 ? '-' : hit.url.slice(queryAt + 1);
          const version = hit.protocol === 'HTTP/2.0' ? 'HTTP/2' : hit.protocol;
          return [
            `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`,
            `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`,
            '10.0.0.4',
            hit.method,
            stem.replace(/ /g, '+'),
            query.replace(/ /g, '+'),
            '443',
            hit.user === '' ? '-' : hit.user,
            hit.ip,
            version,
            hit.userAgent === '' ? '-' : hit.userAgent.replace(/ /g, '+'),
            hit.referrer === '' ? '-' : hit.referrer.replace(/ /g, '+'),
            String(hit.status),
            '0',
            '0',
            String(hit.bytes),
            String(Math.max(0, hit.duration)),
          ].join(' ');
        },
      };
    }
    case 'caddy':
      return {
        header: () => '',
        headerPerDay: false,
        line: (hit) => {
          const headers: Record<string, string[]> = {};
          if (hit.userAgent !== '') headers['User-Agent'] = [hit.userAgent];
          headers.Accept = [hit.url.includes('.') && !hit.url.includes('?') ? '*/*' : 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'];
          if (hit.referrer !== '') headers.Referer = [hit.referrer];
          // Caddy redacts credentials but keeps the header's presence
          if (hit.cookie) headers.Cookie = ['REDACTED'];
          const port = 1024 + ((hit.time ^ (hit.bytes * 31)) & 0xefff);
          const entry = {
            level: 'info',
            ts: hit.time / 1000 + (hit.duration % 1000) / 1e6,
            logger: 'http.log.access.log0',
            msg: 'handled request',
            request: { remote_ip: hit.ip, remote_port: String(port), client_ip: hit.ip, proto: hit.protocol, method: hit.method, host, uri: hit.url, headers },
            bytes_read: hit.method === 'POST' ? 180 + (hit.time % 300) : 0,
            user_id: hit.user,
            duration: hit.duration / 1000,
            size: hit.bytes,
            status: hit.status,
            resp_headers: { Server: ['Caddy'], 'Content-Type': [contentType(hit.url)] },
          };
          return JSON.stringify(entry);
        },
      };
  }
}

function contentType(url: string): string {
  const path = url.split('?')[0]!;
  if (path.endsWith('.css')) return 'text/css; charset=utf-8';
  if (path.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (path.endsWith('.jpg')) return 'image/jpeg';
  if (path.endsWith('.svg')) return 'image/svg+xml';
  if (path.endsWith('.woff2')) return 'font/woff2';
  if (path.endsWith('.ico')) return 'image/vnd.microsoft.icon';
  if (path.endsWith('.xml') || path.endsWith('.atom')) return 'application/xml';
  return 'text/html; charset=utf-8';
}
