/**
 * Strings from logs are hostile: control characters (a terminal's escape sequences) and
 * bidirectional overrides (which make one string read as another) are shown as `\\u{…}`
 * wherever they are printed, and HTML gets its five markup characters as entities too.
 */
const UNSAFE = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const CONTROLS = new RegExp(`[${UNSAFE}]`, 'g');
const HTML = new RegExp(`[&<>"']|[${UNSAFE}]`, 'g');

function visible(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/** Text from a log, safe on a terminal: control and bidi characters shown as escapes. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, visible);
}

/** Text from a log, safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(HTML, (char) => {
    switch (char) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&#39;';
      default:
        return visible(char);
    }
  });
}
