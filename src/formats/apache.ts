/**
 * Apache `LogFormat` strings -> layout segments.
 * https://httpd.apache.org/docs/current/mod/mod_log_config.html#formats
 */
import { Field } from './record.js';
import { type FieldSegment, Kind, LayoutError, type Segment } from './pattern.js';

const SKIP = (name: string): FieldSegment => ({ kind: Kind.Skip, name });

/** A request header (%{Name}i) as a field: the ones the record keeps, else ignored. */
export function headerSegment(header: string): FieldSegment {
  const name = header.toLowerCase();
  switch (name) {
    case 'referer':
    case 'referrer':
      return { kind: Kind.Text, field: Field.Referrer, name: 'referrer' };
    case 'user-agent':
      return { kind: Kind.Text, field: Field.UserAgent, name: 'user agent' };
    case 'host':
      return { kind: Kind.Text, field: Field.Host, name: 'host' };
    case 'cookie':
      return { kind: Kind.Text, field: Field.Cookie, name: 'cookie' };
    default:
      return { kind: Kind.ForwardedFor, header: name, name };
  }
}

function timeSegment(argument: string | undefined): Segment[] {
  if (argument === undefined) return ['[', { kind: Kind.TimeClf, name: 'time' }, ']'];
  const format = argument.replace(/^(begin|end):/, '');
  switch (format) {
    case 'sec': return [{ kind: Kind.TimeEpoch, unit: 1000, name: 'time' }];
    case 'msec': return [{ kind: Kind.TimeEpoch, unit: 1, name: 'time' }];
    case 'usec': return [{ kind: Kind.TimeEpoch, unit: 0.001, name: 'time' }];
    case 'msec_frac':
    case 'usec_frac': return [SKIP('time fraction')];
    default:
      // Apache's own default inside brackets is the CLF time; keep the fast parser for it
      if (format === '%d/%b/%Y:%H:%M:%S %z') return [{ kind: Kind.TimeClf, name: 'time' }];
      return [{ kind: Kind.TimeStrftime, strftime: format, name: 'time' }];
  }
}

function directive(letter: string, argument: string | undefined, format: string): Segment[] {
  switch (letter) {
    case 'h': return [{ kind: Kind.Ip, name: 'client address' }];
    case 'a': return [argument === undefined || argument === 'c' ? { kind: Kind.Ip, name: 'client address' } : SKIP('address')];
    case 'A': return [SKIP('local address')];
    case 'l': return [SKIP('identity')];
    case 'u': return [{ kind: Kind.Text, field: Field.User, name: 'user' }];
    case 't': return timeSegment(argument);
    case 'r': return [{ kind: Kind.Request, name: 'request' }];
    case 'm': return [{ kind: Kind.Text, field: Field.Method, name: 'method' }];
    case 'U': return [{ kind: Kind.Path, name: 'path' }];
    case 'q': return [{ kind: Kind.Query, name: 'query' }];
    case 'H': return [{ kind: Kind.Text, field: Field.Protocol, name: 'protocol' }];
    case 's': return [{ kind: Kind.Status, name: 'status' }];
    case 'b':
    case 'B': return [{ kind: Kind.Bytes, name: 'bytes' }];
    case 'O':
    case 'S': return [{ kind: Kind.BytesFallback, name: 'bytes sent' }];
    case 'I': return [SKIP('bytes received')];
    case 'D': return [{ kind: Kind.Duration, unit: 0.001, name: 'duration' }];
    case 'T': {
      const unit = argument === 'ms' ? 1 : argument === 'us' ? 0.001 : 1000;
      return [{ kind: Kind.Duration, unit, name: 'duration' }];
    }
    case 'v':
    case 'V': return [{ kind: Kind.Text, field: Field.Host, name: 'host' }];
    case 'i': {
      if (argument === undefined) throw new LayoutError(`%i needs a header name: %{Header}i in '${format}'`);
      return [headerSegment(argument)];
    }
    case 'C':
    case 'e':
    case 'n':
    case 'o':
    case 'p':
    case 'P':
    case 'k':
    case 'L':
    case 'R':
    case 'X':
    case 'f':
    case 'x':
    case '^': return [SKIP(`%${letter}`)];
    default:
      throw new LayoutError(`unknown Apache directive %${letter} in '${format}'`);
  }
}

/** Compiles an Apache LogFormat string (as written in the config, with or without `\"`). */
export function parseApacheFormat(format: string): Segment[] {
  const source = format.replace(/\\"/g, '"').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const segments: Segment[] = [];
  let literal = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char !== '%') {
      literal += char;
      continue;
    }
    i++;
    if (source[i] === '%') {
      literal += '%';
      continue;
    }
    // modifiers: status conditions (%400,501{User-agent}i, %!200i), '<' / '>' (original/final)
    while (i < source.length && /[!0-9,<>]/.test(source[i])) i++;
    let argument: string | undefined;
    if (source[i] === '{') {
      const close = source.indexOf('}', i);
      if (close < 0) throw new LayoutError(`unclosed %{ in '${format}'`);
      argument = source.slice(i + 1, close);
      i = close + 1;
      while (i < source.length && /[<>]/.test(source[i])) i++;
    }
    const letter = source[i];
    if (letter === undefined) throw new LayoutError(`'%' at the end of '${format}'`);
    segments.push(literal, ...directive(letter, argument, format));
    literal = '';
  }
  segments.push(literal);
  return segments;
}
