/**
 * The man page and the shell completions are made from the registered commands: every option
 * `--help` prints is in the man page, and bash completes commands, subcommands and options for
 * real (the script sourced into bash, its function called the way bash calls it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../src/cli/main.js';
import { renderCompletion, renderManPage } from '../../src/cli/help-pages.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'replaywatch.js');
const silent = { write: () => true } as unknown as NodeJS.WritableStream;
const program = () => buildProgram({ stdout: silent, stderr: silent, stdin: process.stdin, env: {}, cwd: root });

function help(args: string[]): string {
  const result = spawnSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test('the man page has every command and every option that --help prints', async () => {
  const page = renderManPage(await program(), { version: '9.9.9' });
  const text = page.replace(/\\-/g, '-').replace(/\\e/g, '\\');
  for (const command of [[], ['scan'], ['explain'], ['follow'], ['canary', 'new'], ['canary', 'serve'], ['simulate'], ['completion']]) {
    const flags = [...help(command).matchAll(/^\s+(-\w, )?(--[\w-]+)/gm)].map((match) => match[2]!);
    assert.ok(flags.length > 0, `no options in replaywatch ${command.join(' ')} --help`);
    for (const flag of flags) assert.ok(text.includes(flag), `${flag} of replaywatch ${command.join(' ')} is not in the man page`);
    if (command.length > 0) assert.ok(text.includes(`replaywatch ${command.join(' ')}`), `no section for replaywatch ${command.join(' ')}`);
  }
  assert.match(text, /^\.TH REPLAYWATCH 1 "" "replaywatch 9\.9\.9"/);
  // the built page (npm run build) is this one
  const built = join(root, 'man', 'replaywatch.1');
  if (existsSync(built)) assert.equal(readFileSync(built, 'utf8'), renderManPage(await program(), { version: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version }));
});

test('man renders the page (man-db)', { skip: existsSync('/usr/bin/man') ? false : 'skipped: /usr/bin/man not installed (apt-get install man-db)' }, () => {
  const page = join(root, 'man', 'replaywatch.1');
  assert.ok(existsSync(page), 'man/replaywatch.1 is missing: npm run build writes it');
  const result = spawnSync('man', ['-l', page], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '100' } });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /replaywatch scan \[options\] \[inputs\.\.\.\]/);
  assert.match(result.stdout, /--html <file>/);
  assert.doesNotMatch(result.stderr, /warning/i);
});

/** What bash offers after `words` (the last one is being typed). */
async function complete(words: string[]): Promise<string[]> {
  const script = renderCompletion(await program(), 'bash');
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const result = spawnSync('bash', ['--norc', '-c', `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _replaywatch; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
    cwd: join(root, 'test', 'expected'),
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean).sort();
}

test('bash completes commands, subcommands, options, and files where an argument goes', async () => {
  assert.deepEqual(await complete(['replaywatch', 's']), ['scan', 'simulate']);
  assert.deepEqual(await complete(['replaywatch', 'scan', '--ht']), ['--html']);
  assert.deepEqual(await complete(['replaywatch', 'canary', 'n']), ['new']);
  assert.ok((await complete(['replaywatch', 'canary', 'new', '--'])).includes('--label'));
  assert.ok(!(await complete(['replaywatch', 'canary', 'new', '--'])).includes('--html'), "canary new's options, not scan's");
  // an option's value is not a subcommand: after it, scan's arguments are files
  assert.deepEqual(await complete(['replaywatch', 'scan', '--format', 'combined', 'scan.']), ['scan.json', 'scan.txt']);
  assert.deepEqual(await complete(['replaywatch', 'completion', '--h']), ['--help']);
});

test('zsh accepts the zsh completion script', { skip: existsSync('/usr/bin/zsh') ? false : 'skipped: /usr/bin/zsh not installed (apt-get install zsh)' }, () => {
  const result = spawnSync(process.execPath, [bin, 'completion', 'zsh'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^#compdef replaywatch/);
  assert.match(result.stdout, /'scan:read access logs/);
  const syntax = spawnSync('zsh', ['-n'], { input: result.stdout, encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  // sourced after compinit, it registers itself for replaywatch
  const registered = spawnSync('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source <(${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} completion zsh) && print -r -- $_comps[replaywatch]`], { encoding: 'utf8' });
  assert.equal(registered.stdout.trim(), '_replaywatch', registered.stderr);
});

test('completion rejects a shell it does not know', () => {
  const result = spawnSync(process.execPath, [bin, 'completion', 'fish'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /bash, zsh/);
});
