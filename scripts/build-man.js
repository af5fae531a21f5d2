#!/usr/bin/env node
// Writes man/replaywatch.1 from the compiled CLI's registered commands (the same help text as
// --help; src/cli/help-pages.ts). Run by `npm run build`; npm links it on `npm install -g`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../dist/cli/main.js';
import { renderManPage } from '../dist/cli/help-pages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = createRequire(import.meta.url)(join(root, 'package.json'));
const silent = { write: () => true };
const program = await buildProgram({ stdout: silent, stderr: silent, stdin: process.stdin, env: {}, cwd: root });
mkdirSync(join(root, 'man'), { recursive: true });
writeFileSync(join(root, 'man', 'replaywatch.1'), renderManPage(program, { version }));
