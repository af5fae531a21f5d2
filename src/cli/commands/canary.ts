import { Option } from 'commander';
import pc from 'picocolors';
import type { Attributor } from '../../attribute/index.js';
import type { Paint } from '../../canary/index.js';
import { ReplaywatchError } from '../../common/errors.js';
import { terminalText } from '../../common/terminal-text.js';
import { defaultStatePath, type StoreOptions } from '../../store/index.js';
import { useColour, type CliIo } from '../io.js';
import type { RegisterCommand } from '../main.js';

/*
 * `replaywatch canary ...`: leak tests. Every option is declared once in `canaryOptions` with
 * its default; the subcommands pick theirs from it.
 *
 * The stages a subcommand needs are imported when it runs: `canary new` while the listener is
 * busy must start in well under a second, and the attribution tables, the HTTP service and the
 * scan engine are not its business (docs/PERFORMANCE.md, "Start-up of the canary commands").
 */
const canaryStage = () => import('../../canary/index.js');

const defaultBaseUrl = 'http://localhost:8080';

const canaryOptions = {
  state: () => new Option('--state <file>', 'the store (default: $XDG_DATA_HOME/replaywatch/state.duckdb or ~/.local/share/replaywatch/state.duckdb)'),
  json: () => new Option('--json', 'print JSON on stdout'),
  label: () => new Option('--label <text>', 'what is under test, e.g. "work laptop, Chrome + antivirus" (default: "canary" and the date)'),
  baseUrl: () => new Option('--base-url <url>', `your server's address; the canary is <url>/notes/<token> (default: $REPLAYWATCH_BASE_URL or ${defaultBaseUrl})`),
  listen: () => new Option('--listen <host:port>', 'address to listen on (port 0: any free port)').default('127.0.0.1:8080'),
  trustProxy: () =>
    new Option('--trust-proxy <cidr...>', 'reverse proxies whose X-Forwarded-For is believed (e.g. 127.0.0.1/32); repeatable').default([] as string[]),
  webhook: () => new Option('--webhook <url>', 'POST each hit as JSON to this URL'),
  retention: () => new Option('--retention <duration>', 'drop hits older than this (e.g. 90d) at start and daily (default: keep)'),
  olderThan: () => new Option('--older-than <duration>', 'what to drop: hits older than this, canaries revoked before it (a number and a unit: 90d, 12h, 30min, 2w)').makeOptionMandatory(),
  yes: () => new Option('--yes', 'confirm a purge that deletes every hit'),
  interval: () => new Option('--interval <seconds>', 'how often to look for new hits').default('1'),
};

interface CommonFlags {
  state?: string;
  json?: boolean;
}

function statePath(flags: CommonFlags, io: CliIo): string {
  return flags.state ? (flags.state.startsWith('/') ? flags.state : `${io.cwd}/${flags.state}`) : defaultStatePath(io.env);
}

/**
 * REPLAYWATCH_TIMINGS=1: each store session on stderr, with how long it waited for another
 * process (the listener importing, another command) and how long it kept others out.
 */
function storeOptions(io: CliIo): StoreOptions {
  if (io.env.REPLAYWATCH_TIMINGS !== '1') return {};
  return {
    onSession: (session) =>
      io.stderr.write(
        `replaywatch: store ${session.readOnly ? 'read' : 'write'} session: opened in ${session.openMs.toFixed(0)} ms (${session.tries} ${session.tries === 1 ? 'try' : 'tries'}), held ${session.heldMs.toFixed(0)} ms, closed ${performance.now().toFixed(0)} ms after the process started\n`,
      ),
  };
}

function paintFor(io: CliIo, noPaint: Paint): Paint {
  return useColour(io.stdout, io.env) ? { bold: pc.bold, red: pc.red, yellow: pc.yellow, green: pc.green, dim: pc.dim } : noPaint;
}

/**
 * The attribution the verdict names networks and owners with: loaded by `report` only when a
 * canary it shows was fetched (a report of unopened canaries names no network).
 */
async function canaryAttributor(): Promise<() => Attributor> {
  const { loadAttributor } = await import('../../attribute/index.js');
  return () => loadAttributor();
}

export const registerCanary: RegisterCommand = (program, io, setExitCode) => {
  const canary = program.command('canary').description('leak tests: a unique URL opened once from the machine under test; whoever else fetches it got it from that machine');

  canary
    .command('new')
    .description('mint a canary URL and say what to do with it')
    .addOption(canaryOptions.label())
    .addOption(canaryOptions.baseUrl())
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.json())
    .action(async (flags: CommonFlags & { label?: string; baseUrl?: string }) => {
      const label = flags.label?.trim() || `canary ${new Date().toISOString().slice(0, 10)}`;
      const baseUrl = flags.baseUrl ?? io.env.REPLAYWATCH_BASE_URL ?? defaultBaseUrl;
      const { createCanary, noPaint } = await canaryStage();
      const created = await createCanary(statePath(flags, io), { label, baseUrl }, storeOptions(io));
      if (flags.json) {
        io.stdout.write(JSON.stringify({ token: created.token, url: created.url, label: created.label }) + '\n');
      } else {
        const paint = paintFor(io, noPaint);
        io.stdout.write(
          [
            `canary "${terminalText(created.label)}":`,
            '',
            `  ${paint.bold(created.url)}`,
            '',
            'What to do:',
            '  1. Open this address ONCE, only on the machine you are testing (or paste it only into',
            '     the one mail or chat you are testing). Do not share it, bookmark it or open it elsewhere.',
            '  2. Wait: replays come minutes to days later.',
            '  3. See who fetched it:  replaywatch canary report' + (flags.state ? ` --state ${flags.state}` : ''),
            '',
            'Hits are seen by the listener (replaywatch canary serve) on the server behind that address,',
            'or in that server\'s access logs (replaywatch scan).',
            ...(flags.baseUrl || io.env.REPLAYWATCH_BASE_URL ? [] : [`note: no --base-url given, so the address uses ${defaultBaseUrl}; use your server's public address instead.`]),
            '',
          ].join('\n'),
        );
      }
      setExitCode(0);
    });

  canary
    .command('list')
    .description('list the canaries and how often each was fetched')
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.json())
    .action(async (flags: CommonFlags) => {
      const { loadCanaryCounts } = await canaryStage();
      const { canaries, counts } = await loadCanaryCounts(statePath(flags, io), storeOptions(io));
      if (flags.json) {
        const list = canaries.map((c) => ({
          token: c.token,
          label: c.label,
          url: c.url,
          created: new Date(c.created).toISOString(),
          revoked: c.revoked === null ? null : new Date(c.revoked).toISOString(),
          hits: counts.get(c.token) ?? 0,
        }));
        io.stdout.write(JSON.stringify({ canaries: list }) + '\n');
      } else if (canaries.length === 0) {
        io.stdout.write('no canaries yet: make one with  replaywatch canary new --label "this laptop"\n');
      } else {
        for (const c of canaries) {
          const state = c.revoked === null ? '' : '  (revoked)';
          io.stdout.write(`${c.token}  ${new Date(c.created).toISOString()}  ${String(counts.get(c.token) ?? 0).padStart(4)} hit(s)  ${terminalText(c.label)}${state}\n    ${terminalText(c.url)}\n`);
        }
      }
      setExitCode(0);
    });

  canary
    .command('report')
    .description('the verdict per canary: who fetched it after the machine under test, when, and from which network')
    .argument('[token-or-label]', 'only this canary')
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.json())
    .action(async (selector: string | undefined, flags: CommonFlags) => {
      const { loadCanaryReport, renderCanaryReport, canaryLeaked, noPaint } = await canaryStage();
      const report = await loadCanaryReport(statePath(flags, io), await canaryAttributor(), { selector }, storeOptions(io));
      if (flags.json) io.stdout.write(JSON.stringify(report) + '\n');
      else io.stdout.write(renderCanaryReport(report, paintFor(io, noPaint)).join('\n') + '\n');
      // as scan: 1 when a canary reached a replayer or prefetcher
      setExitCode(canaryLeaked(report) ? 1 : 0);
    });

  canary
    .command('revoke')
    .description('stop watching a canary: the listener answers 404 for it from now on')
    .argument('<token-or-label>', 'the canary')
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.json())
    .action(async (selector: string, flags: CommonFlags) => {
      const { revokeCanaries } = await canaryStage();
      const revoked = await revokeCanaries(statePath(flags, io), selector, Date.now(), storeOptions(io));
      if (flags.json) io.stdout.write(JSON.stringify({ revoked: revoked.map((c) => c.token) }) + '\n');
      else if (revoked.length === 0) io.stdout.write(`"${terminalText(selector)}" was already revoked\n`);
      else for (const c of revoked) io.stdout.write(`revoked ${c.token} (${terminalText(c.label)})\n`);
      setExitCode(0);
    });

  canary
    .command('purge')
    .description('delete old hits and long-revoked canaries (retention)')
    .addOption(canaryOptions.olderThan())
    .addOption(canaryOptions.yes())
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.json())
    .action(async (flags: CommonFlags & { olderThan: string; yes?: boolean }) => {
      const { parseDuration, purgeCanaryData } = await canaryStage();
      const age = parseDuration(flags.olderThan);
      if (age === null) throw new ReplaywatchError('E_USAGE', `--older-than needs a number and a unit, not ${terminalText(flags.olderThan)}`, { hint: 'e.g. 90d, 12h, 30min, 2w (s, min, h, d, w; "m" is refused: minutes or months?)' });
      const purged = await purgeCanaryData(statePath(flags, io), Date.now() - age, { all: flags.yes === true }, storeOptions(io));
      if (purged.refused) {
        throw new ReplaywatchError('E_USAGE', `--older-than ${terminalText(flags.olderThan)} would delete every hit (${purged.total}); nothing was deleted`, { hint: 'add --yes to delete them all, or give a longer duration' });
      }
      if (flags.json) io.stdout.write(JSON.stringify(purged) + '\n');
      else io.stdout.write(`purged ${purged.hits} hit(s) and ${purged.canaries} revoked canar${purged.canaries === 1 ? 'y' : 'ies'}\n`);
      setExitCode(0);
    });

  canary
    .command('serve')
    .description('run the canary listener: answers canary URLs with a harmless page and records every fetch')
    .addOption(canaryOptions.listen())
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.trustProxy())
    .addOption(canaryOptions.webhook())
    .addOption(canaryOptions.retention())
    .action(async (flags: CommonFlags & { listen: string; trustProxy: string[]; webhook?: string; retention?: string }) => {
      const { host, port } = parseListen(flags.listen);
      const { CanaryRecorder, createWebhookSender, parseDuration, renderHitLine } = await canaryStage();
      const { parseTrustedProxies, startCanaryListener } = await import('../../serve/index.js');
      const trustProxy = parseTrustedProxies(flags.trustProxy);
      const retentionMs = flags.retention === undefined ? null : parseDuration(flags.retention);
      if (retentionMs === null && flags.retention !== undefined) throw new ReplaywatchError('E_USAGE', `--retention needs a number and a unit, not ${terminalText(flags.retention)}`, { hint: 'e.g. 90d (s, min, h, d, w)' });
      const warn = (message: string) => io.stderr.write(`replaywatch: ${message}\n`);
      const webhook = flags.webhook ? createWebhookSender(flags.webhook, { onError: warn }) : null;
      const path = statePath(flags, io);
      const recorder = await CanaryRecorder.start({
        statePath: path,
        retentionMs,
        onWarning: warn,
        onSession: storeOptions(io).onSession,
        onHit: (hit, canary) => {
          io.stdout.write(`hit  ${renderHitLine(hit, canary.label)}\n`);
          webhook?.send({ event: 'canary.hit', label: canary.label, canaryUrl: canary.url, ...hit, time: new Date(hit.time).toISOString() });
        },
      });
      let listener;
      try {
        listener = await startCanaryListener({ host, port, recorder, trustProxy });
      } catch (error) {
        await recorder.close();
        throw error;
      }
      const shown = host.includes(':') ? `[${host}]` : host;
      io.stdout.write(`listening on http://${shown}:${listener.port}  (store: ${path}${trustProxy.size > 0 ? `; trusting X-Forwarded-For from ${flags.trustProxy.join(', ')}` : ''})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await listener.close();
      await recorder.close();
      await webhook?.drain();
      io.stdout.write('stopped\n');
      setExitCode(0);
    });

  canary
    .command('watch')
    .description('print hits as they come (reads the store and the running listener\'s journal)')
    .addOption(canaryOptions.state())
    .addOption(canaryOptions.json())
    .addOption(canaryOptions.interval())
    .action(async (flags: CommonFlags & { interval: string }) => {
      const path = statePath(flags, io);
      const { loadCanaryHits, renderHitLine } = await canaryStage();
      const intervalMs = Math.max(0.2, Number(flags.interval) || 1) * 1000;
      const seen = new Set<string>();
      let stopped = false;
      const stop = () => {
        stopped = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // what is already there is history: show only what comes after
      for (const hit of (await loadCanaryHits(path)).hits) seen.add(hit.id);
      io.stderr.write(`watching ${path} for canary hits (Ctrl-C to stop)\n`);
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        let state;
        try {
          state = await loadCanaryHits(path, { busyTimeoutMs: 2000 });
        } catch (error) {
          if (error instanceof ReplaywatchError && error.code === 'E_STATE_LOCKED') continue;
          throw error;
        }
        const labels = new Map(state.canaries.map((c) => [c.token, c.label]));
        for (const hit of state.hits) {
          if (seen.has(hit.id)) continue;
          seen.add(hit.id);
          const label = labels.get(hit.token) ?? hit.token;
          io.stdout.write(flags.json ? JSON.stringify({ label, ...hit, time: new Date(hit.time).toISOString() }) + '\n' : renderHitLine(hit, label) + '\n');
        }
      }
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      setExitCode(0);
    });

};

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new ReplaywatchError('E_USAGE', `--listen must be HOST:PORT, not ${text}`, { hint: 'e.g. --listen 127.0.0.1:8080 or --listen [::1]:8080' });
  return { host: (match[1] ?? match[2])!, port };
}
