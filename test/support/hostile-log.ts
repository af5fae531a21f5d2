/**
 * A small combined log where a replayer (Trend Micro's network, in the catalogue) fetches
 * people's URLs 20 minutes after them: each person's URL can be given (secrets, hostile
 * bytes), so the tests see what a report does with them.
 */
const browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function clf(ms: number): string {
  const date = new Date(ms);
  const two = (value: number) => String(value).padStart(2, '0');
  return `[${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000]`;
}

export function combinedLine(ip: string, ms: number, url: string, options: { status?: number; protocol?: string; agent?: string; referrer?: string; method?: string } = {}): string {
  return `${ip} - - ${clf(ms)} "${options.method ?? 'GET'} ${url} ${options.protocol ?? 'HTTP/1.1'}" ${options.status ?? 200} 31022 "${options.referrer ?? 'https://shop.example/'}" "${options.agent ?? browser}"`;
}

export const replayerAddress = '150.70.97.43';

/** people[i] requests urls[i] (with assets and a login), the replayer the same URL 20 min later. */
export function replayedLog(urls: string[], options: { replayerAgent?: string } = {}): { text: string; people: string[] } {
  const start = Date.UTC(2026, 2, 2, 8, 0, 0);
  const lines: string[] = [];
  const people: string[] = [];
  urls.forEach((url, index) => {
    const person = `81.2.${69 + index}.${160 + index}`;
    people.push(person);
    const at = start + index * 3_600_000;
    lines.push(combinedLine(person, at, '/login', { method: 'POST', status: 302 }));
    for (let page = 0; page < 3; page++) {
      const pageAt = at + (page + 1) * 180_000;
      lines.push(combinedLine(person, pageAt, `/products/${100 + page}`));
      lines.push(combinedLine(person, pageAt, '/static/site.css', { referrer: `https://shop.example/products/${100 + page}` }));
    }
    lines.push(combinedLine(person, at + 900_000, url));
    lines.push(combinedLine(person, at + 900_000, '/static/img/p1.jpg', { referrer: 'https://shop.example/x' }));
    lines.push(combinedLine(replayerAddress, at + 2_100_000, url, { status: 403, protocol: 'HTTP/1.0', referrer: '-', agent: options.replayerAgent ?? 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)' }));
  });
  return { text: lines.join('\n') + '\n', people };
}
