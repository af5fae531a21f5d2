/**
 * The interstitial: a small page with one button. The form has no action, so it POSTs to the
 * very URL the page was served for (HTML: an empty action is the document's URL), and nothing
 * of the request is reflected into the page. The words come from the site's options and are
 * escaped all the same.
 */
export interface PageText {
  title?: string;
  message?: string;
  button?: string;
  /** the page's language tag */
  lang?: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function interstitialPage(text: PageText = {}): string {
  const title = escapeHtml(text.title ?? 'Continue to your link');
  const message = escapeHtml(text.message ?? 'This link works once. Press the button to use it.');
  const button = escapeHtml(text.button ?? 'Continue');
  const lang = escapeHtml(text.lang ?? 'en');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button{font:inherit;padding:.6rem 1.4rem;cursor:pointer}</style>
</head>
<body>
<h1>${title}</h1>
<p>${message}</p>
<form method="post"><button type="submit">${button}</button></form>
</body>
</html>
`;
}

/** Headers of the page: never cached, indexed, framed, or sent on as a referrer. */
export const pageHeaders: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};
