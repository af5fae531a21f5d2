import { terminalText } from '../common/terminal-text.js';

/**
 * Strings from logs are hostile: control characters (a terminal's escape sequences) and
 * bidirectional overrides (which make one string read as another) are shown as escapes
 * (`\x1b`, `\u202e`) wherever they are printed, by the one function every command uses
 * (common/terminal-text.ts), and HTML gets its five markup characters as entities too.
 */

/** Text from a log, safe on a terminal: control and bidi characters shown as escapes. */
export function escapeControls(text: string): string {
  return terminalText(text);
}

const MARKUP = /[&<>"']/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text from a log, safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  // the escapes terminalText writes hold no markup character, so the order is safe
  return terminalText(text).replace(MARKUP, (char) => ENTITIES[char]!);
}
