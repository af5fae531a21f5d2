/**
 * nginx `log_format` strings -> layout segments.
 * https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format and the variable index.
 */
import { Field } from './record.js';
import { headerSegment } from './apache.js';
import { type FieldSegment, Kind, type Segment } from './pattern.js';

const VARIABLES: Record<string, FieldSegment> = {
  remote_addr: { kind: Kind.Ip, name: 'client address' },
  realip_remote_addr: { kind: Kind.Ip, name: 'client address' },
  remote_user: { kind: Kind.Text, field: Field.User, name: 'user' },
  time_local: { kind: Kind.TimeClf, name: 'time' },
  time_iso8601: { kind: Kind.TimeIso, name: 'time' },
  msec: { kind: Kind.TimeEpoch, unit: 1000, name: 'time' },
  request: { kind: Kind.Request, name: 'request' },
  request_method: { kind: Kind.Text, field: Field.Method, name: 'method' },
  request_uri: { kind: Kind.Url, name: 'url' },
  uri: { kind: Kind.Path, name: 'path' },
  document_uri: { kind: Kind.Path, name: 'path' },
  args: { kind: Kind.Query, name: 'query' },
  query_string: { kind: Kind.Query, name: 'query' },
  server_protocol: { kind: Kind.Text, field: Field.Protocol, name: 'protocol' },
  status: { kind: Kind.Status, name: 'status' },
  body_bytes_sent: { kind: Kind.Bytes, name: 'bytes' },
  bytes_sent: { kind: Kind.BytesFallback, name: 'bytes sent' },
  request_time: { kind: Kind.Duration, unit: 1000, name: 'duration' },
  host: { kind: Kind.Text, field: Field.Host, name: 'host' },
  server_name: { kind: Kind.Text, field: Field.Host, name: 'host' },
};

function variableSegment(name: string): FieldSegment {
  const known = VARIABLES[name];
  if (known !== undefined) return known;
  // $http_user_agent, $http_x_forwarded_for: request headers with '-' for '_'
  if (name.startsWith('http_')) return headerSegment(name.slice(5).replace(/_/g, '-'));
  return { kind: Kind.Skip, name: `$${name}` };
}

/**
 * Compiles an nginx log_format string. The string may be pasted with its quoting
 * (`'$remote_addr - ...' '"$http_user_agent"'`): adjacent single-quoted parts are joined.
 * `$uri$is_args$args` and `$uri?$args` read as path + query.
 */
export function parseNginxFormat(format: string): Segment[] {
  let source = format.trim();
  if (source.startsWith("'")) {
    // concatenate the quoted pieces of a config snippet
    const pieces = source.match(/'([^']*)'/g) ?? [];
    source = pieces.map((piece) => piece.slice(1, -1)).join('');
  }
  source = source.replace(/\\"/g, '"');
  const segments: Segment[] = [];
  let literal = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char !== '$') {
      literal += char;
      continue;
    }
    let name: string;
    if (source[i + 1] === '{') {
      const close = source.indexOf('}', i);
      name = source.slice(i + 2, close);
      i = close;
    } else {
      let j = i + 1;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j])) j++;
      name = source.slice(i + 1, j);
      i = j - 1;
    }
    if (name.length === 0) {
      literal += '$';
      continue;
    }
    // '$is_args' is '?' when there are args: the query extends the path either way
    if (name === 'is_args') continue;
    segments.push(literal, variableSegment(name));
    literal = '';
  }
  segments.push(literal);
  return segments;
}
