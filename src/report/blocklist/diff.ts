/**
 * A line diff for `block --dry-run`: what writing the file would change. Longest common
 * subsequence after trimming the common head and tail (blocklists differ in a few lines);
 * when what is left is too big for the table, every remaining line is shown as removed or added.
 */
const MAX_TABLE_CELLS = 4_000_000;

export function diffLines(oldText: string, newText: string, oldLabel: string, newLabel: string, context = 3): string {
  if (oldText === newText) return '';
  const before = splitLines(oldText);
  const after = splitLines(newText);
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const middle: [string, string][] = [];
  if (a.length * b.length <= MAX_TABLE_CELLS) {
    // lengths[i][j]: LCS of a[i..] and b[j..], one flat table
    const width = b.length + 1;
    const lengths = new Uint32Array((a.length + 1) * width);
    for (let i = a.length - 1; i >= 0; i--)
      for (let j = b.length - 1; j >= 0; j--)
        lengths[i * width + j] = a[i] === b[j] ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        middle.push([' ', a[i]!]);
        i++;
        j++;
      } else if (j < b.length && (i === a.length || lengths[i * width + j + 1]! >= lengths[(i + 1) * width + j]!)) middle.push(['+', b[j++]!]);
      else middle.push(['-', a[i++]!]);
    }
  } else {
    for (const line of a) middle.push(['-', line]);
    for (const line of b) middle.push(['+', line]);
  }
  const all: [string, string][] = [...before.slice(0, head).map((line): [string, string] => [' ', line]), ...middle, ...before.slice(before.length - tail).map((line): [string, string] => [' ', line])];
  // keep changed lines and `context` lines around them
  const keep = new Array<boolean>(all.length).fill(false);
  all.forEach(([mark], index) => {
    if (mark === ' ') return;
    for (let k = Math.max(0, index - context); k <= Math.min(all.length - 1, index + context); k++) keep[k] = true;
  });
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  let skipped = false;
  all.forEach(([mark, line], index) => {
    if (!keep[index]) {
      if (!skipped) out.push('@@ … @@');
      skipped = true;
      return;
    }
    skipped = false;
    out.push(`${mark}${line}`);
  });
  return out.join('\n') + '\n';
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
