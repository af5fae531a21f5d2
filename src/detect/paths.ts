/**
 * What a requested path is, decided from bytes: a page, a static asset (image, style, font,
 * media), or a script. Humans' browsers load assets; replayers fetch pages.
 */
import { viewOf } from '../common/data-view.js';

export const PathKind = { Page: 0, Asset: 1, Script: 2 } as const;
export type PathKindValue = (typeof PathKind)[keyof typeof PathKind];

/** Extension packed as base-32 letters (a=1..z=26, digits 27..31 wrap), lowercase, up to 6 chars. */
function packExtension(text: string): number {
  let code = 0;
  for (let index = 0; index < text.length; index++) code = code * 32 + extensionCharCode(text.charCodeAt(index));
  return code;
}

function extensionCharCode(char: number): number {
  if (char >= 65 && char <= 90) return char - 64; // 'A'..'Z'
  if (char >= 97 && char <= 122) return char - 96; // 'a'..'z'
  if (char >= 48 && char <= 57) return 27 + ((char - 48) % 5); // '0'..'9' (woff2, mp3, mp4)
  return -1;
}

const ASSET_EXTENSIONS = new Set(
  ['css', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'ico', 'bmp', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp4', 'webm', 'mp3', 'ogg', 'wav', 'map', 'swf', 'flv', 'cur'].map(packExtension),
);
const SCRIPT_EXTENSIONS = new Set(['js', 'mjs', 'jsx', 'json', 'vbs'].map(packExtension));

/** Where the path of the last classifyPath call ended (its first '?', '#' or ';', else the end). */
export let classifiedPathEnd = 0;

/** Classify buffer[start, end) (path + query). */
export function classifyPath(buffer: Buffer, start: number, end: number): PathKindValue {
  let pathEnd = end;
  // four bytes a step while a word holds none of '?', '#', ';' (a word xor b has a zero byte
  // exactly when one of its bytes is b), then byte by byte
  const view = viewOf(buffer);
  let index = start;
  for (; index + 4 <= end; index += 4) {
    const word = view.getInt32(index, true);
    const question = word ^ 0x3f3f3f3f;
    const hash = word ^ 0x23232323;
    const semicolon = word ^ 0x3b3b3b3b;
    if ((((question - 0x01010101) & ~question) | ((hash - 0x01010101) & ~hash) | ((semicolon - 0x01010101) & ~semicolon)) & 0x80808080) break;
  }
  for (; index < end; index++) {
    const char = buffer[index]!;
    if (char === 63 /* '?' */ || char === 35 /* '#' */ || char === 59 /* ';' */) {
      pathEnd = index;
      break;
    }
  }
  classifiedPathEnd = pathEnd;
  let code = 0;
  let length = 0;
  let scale = 1;
  for (let index = pathEnd - 1; index >= start; index--) {
    const char = buffer[index]!;
    if (char === 46 /* '.' */) {
      if (length === 0) return PathKind.Page;
      return ASSET_EXTENSIONS.has(code) ? PathKind.Asset : SCRIPT_EXTENSIONS.has(code) ? PathKind.Script : PathKind.Page;
    }
    if (char === 47 /* '/' */ || length >= 6) return PathKind.Page;
    const value = extensionCharCode(char);
    if (value < 0) return PathKind.Page;
    code += value * scale;
    scale *= 32;
    length++;
  }
  return PathKind.Page;
}

/**
 * Whether requests for this URL (path + query) also count in its day units: pages without a
 * query string (a site's own pages are a bounded set; one-off query strings are the volume).
 */
export function tracksDays(buffer: Buffer, start: number, end: number): boolean {
  return tracksDaysOf(classifyPath(buffer, start, end), buffer, classifiedPathEnd, end);
}

/** tracksDays for a URL already classified (`kind`, its path ending at `pathEnd`): the detector's hot path. */
export function tracksDaysOf(kind: PathKindValue, buffer: Buffer, pathEnd: number, end: number): boolean {
  if (kind === PathKind.Asset) return false;
  // no '?' from the path's end on (the path stopped at the first '?', '#' or ';')
  for (let index = pathEnd; index < end; index++) if (buffer[index] === 63 /* '?' */) return false;
  return true;
}

/** A site's landing pages besides `/`, lowercased (unit-walk.ts counts them among the entry points). */
export const ENTRY_PAGES: readonly string[] = [
  '/index.html', '/index.htm', '/index.php', '/default.htm', '/default.html', '/default.asp', '/default.aspx', '/index.asp', '/index.aspx', '/home', '/home/',
];
const ENTRY_PAGE_SET = new Set(ENTRY_PAGES);
/** The longest of ENTRY_PAGES. */
const ENTRY_PAGE_MAX = Math.max(...ENTRY_PAGES.map((page) => page.length));

/**
 * Whether the path buffer[start, pathEnd) is `/` or a landing page (ENTRY_PAGES, any case): the
 * detector's hot path, so most paths are answered by their length or second byte.
 */
export function isEntryPage(buffer: Buffer, start: number, pathEnd: number): boolean {
  const length = pathEnd - start;
  if (length === 1) return buffer[start] === 47;
  if (length < 5 || length > ENTRY_PAGE_MAX) return false;
  // 'i', 'd', 'h' in either case
  const second = buffer[start + 1]! | 0x20;
  if (second !== 105 && second !== 100 && second !== 104) return false;
  return ENTRY_PAGE_SET.has(buffer.toString('latin1', start, pathEnd).toLowerCase());
}

/**
 * Paths that exist on other software and are requested by scanners hunting for it.
 * Lowercased substrings of the path; matched only on error responses, so the cost stays off
 * the common path.
 */
const PROBE_SIGNATURES = [
  'phpmyadmin', '/pma', 'myadmin', 'mysqladmin', 'sqladmin', 'dbadmin', 'websql', 'wp-login', 'wp-admin', 'wp-content',
  'wp-includes', 'wp-config', 'xmlrpc.php', '/.env', '.git/', '/.git', '/.svn', '/.hg', '.ds_store', '.htaccess', '.htpasswd',
  'config.php', 'configuration.php', 'cgi-bin', '/shell', 'cmd.php', '/.aws', '/.ssh', 'etc/passwd', 'boaform', 'actuator',
  '/solr', 'phpunit', '/hnap1', 'manager/html', '/owa/', 'autodiscover', 'admin.php', '/administrator', 'phpinfo',
  'server-status', 'setup.php', 'install.php', '.sql', '.bak', '/backup', 'telescope', '_ignition', '/console', '/jenkins',
  'struts', '.bash_history', '.bashrc', 'id_rsa', '/cgi/', 'eval-stdin', '/vendor/', 'web.config', 'sftp-config', '.vscode',
  'docker-compose', 'thinkphp', 'invokefunction', '/login.action', '/manager/', 'adminer', 'fckeditor', 'ckfinder',
  'elfinder', 'tinymce', 'filemanager', 'uploadify', 'php-cgi', '/api/jsonws', 'jmx-console', 'remote/login', '/geoserver',
  '.well-known/../', '/index.php/', 'joomla', 'drupal', 'magento', 'typo3', '/nagios', 'webdav', 'pma20', '/phpma',
];

export function isProbePath(path: string): boolean {
  const lower = path.toLowerCase();
  if (lower.startsWith('//')) return true;
  for (const signature of PROBE_SIGNATURES) if (lower.includes(signature)) return true;
  return false;
}
