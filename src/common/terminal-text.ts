/**
 * Text from a log line or a request, made safe to print on a terminal. Every command that
 * prints such a string passes it through here (the scan's terminal report, skipped-line
 * examples, explain, canary watch/report/list): a user agent or URL holding `\x1b]0;...\x07`,
 * `\x1b[31m`, a C1 control (U+009B is CSI on many terminals), CR, NUL or a bidi override
 * would otherwise retitle the window, repaint earlier lines or reorder what the reader sees.
 * The bytes are shown, not obeyed: `\x1b`, `\r`, `\u009b`, `\u202e`. JSON output is not
 * escaped here (JSON.stringify already escapes controls, and its strings stay exact).
 */

/** C0 controls, DEL, C1 controls, and the Unicode bidi embeddings, overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** `text` with every control or bidi character written as a visible escape. */
export function terminalText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (character) => {
    const named = NAMED[character];
    if (named !== undefined) return named;
    const code = character.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A copy of a plain value (a report model) with every string escaped by terminalText. */
export function terminalStrings<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T;
  if (Array.isArray(value)) return value.map((item) => terminalStrings(item)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !(value instanceof Set)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = terminalStrings(item);
    return copy as T;
  }
  return value;
}
