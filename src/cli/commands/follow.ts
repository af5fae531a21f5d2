import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { createWebhookSender, type WebhookSender } from '../../canary/index.js';
import { ReplaywatchError } from '../../common/errors.js';
import { createAnonymizer, createRedactor, escapeControls, formatNumber, type ReportModel } from '../../report/index.js';
import { loadReportKey } from '../../store/index.js';
import { FollowSession, followSnapshotOf, type FollowEvent, type FollowSnapshot } from '../../scan/index.js';
import { parseListenAddress, startDashboard, type Dashboard } from '../../serve/index.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from '../main.js';
import { parseSize } from '../scan-options.js';

interface FollowFlags {
  format?: string;
  clientIpField?: string;
  minConfidence: string;
  json?: boolean;
  webhook?: string;
  webhookSecret?: string;
  exec?: string;
  dashboard?: string;
  state?: string;
  interval: string;
  fromEnd?: boolean;
  anonymize?: boolean;
  memoryBudget?: string;
}

/** The follow state beside the store: one file, replaced atomically. */
export function followStatePath(state: string): string {
  return `${resolve(state)}.follow`;
}

function loadSnapshot(path: string): FollowSnapshot | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return followSnapshotOf(deserialize(readFileSync(path)));
  } catch (cause) {
    throw new ReplaywatchError('E_STATE_IO', `the follow state ${path} cannot be read`, { cause, hint: 'move it away to start over (the logs are then read again from the start)' });
  }
}

function saveSnapshot(path: string, snapshot: FollowSnapshot): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, serialize(snapshot));
  renameSync(temporary, path);
}

/** One line for a person: what, who, how much. Strings from logs are escaped. */
export function describeEvent(event: FollowEvent): string {
  if (event.type === 'probe') {
    const probe = event.probe;
    return escapeControls(`${event.time} probe ${probe.ip} ${probe.network.org ?? 'unknown owner'} ${probe.paths} paths: ${probe.examples.slice(0, 3).join(' ')}`);
  }
  const source = event.source;
  const network = [source.network.org ?? 'unknown owner', source.network.asn !== null ? `AS${source.network.asn}` : null, source.network.cidr].filter(Boolean).join(' ');
  const change = event.change === 'new' ? 'new' : `changed (was ${event.previous})`;
  const what = source.agent ? ` ${source.agent}` : '';
  return escapeControls(
    `${event.time} ${change} ${event.verdict}${what} · ${network} · ${source.ips.length} address${source.ips.length === 1 ? '' : 'es'}, ${formatNumber(source.replays)} replays of ${formatNumber(source.urls)} URLs from ${formatNumber(source.victims)} people · confidence ${source.confidence.toFixed(2)}`,
  );
}

/** Runs --exec once per event, one at a time: the event's JSON on stdin and in REPLAYWATCH_EVENT. */
function execRunner(command: string, io: CliIo): { run(event: FollowEvent): void; drain(): Promise<void> } {
  let chain = Promise.resolve();
  return {
    run(event) {
      const json = JSON.stringify(event);
      chain = chain.then(
        () =>
          new Promise<void>((done) => {
            const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'], env: { ...io.env, REPLAYWATCH_EVENT: json, REPLAYWATCH_EVENT_TYPE: `${event.type}-${event.change}` }, timeout: 30_000 });
            child.on('error', (error) => {
              io.stderr.write(`replaywatch: --exec failed: ${error.message}\n`);
              done();
            });
            child.on('close', () => done());
            child.stdin.on('error', () => {});
            child.stdin.end(json + '\n');
          }),
      );
    },
    drain: () => chain,
  };
}

export const registerFollow: RegisterCommand = (program, io, setExitCode) => {
  program
    .command('follow')
    .description('follow logs as they grow (like tail -F) and tell each new replayer, prefetcher or probe once, as it is found')
    .argument('<inputs...>', 'log files or directories (rotated .gz files are history and skipped)')
    .option('--format <spec>', 'log format: a preset name, an Apache LogFormat string or an nginx log_format string (default: detected from the first lines)')
    .option('--client-ip-field <header>', 'take the client address from this request header field of the log')
    .option('--min-confidence <x>', 'tell only sources at least this confident (0..1)', '0.5')
    .option('--json', 'one JSON object per event on stdout instead of a line of text')
    .option('--webhook <url>', 'POST each event as JSON to this URL (retried on failure)')
    .option('--webhook-secret <secret>', 'sign webhook bodies: X-Replaywatch-Signature: sha256=HMAC (default: $REPLAYWATCH_WEBHOOK_SECRET)')
    .option('--exec <command>', 'run this shell command for each event, the event as JSON on its stdin and in $REPLAYWATCH_EVENT')
    .option('--dashboard <host:port>', 'serve a live page (the HTML report, updated as lines arrive) on this address, e.g. 127.0.0.1:8080')
    .option('--state <file>', 'keep the follow state beside this store (FILE.follow): a restart resumes where it stopped and tells nothing twice')
    .option('--interval <ms>', 'how often the files are polled and the evidence analysed', '1000')
    .option('--from-end', 'skip what the files hold now; read only lines written from now on')
    .option('--memory-budget <size>', 'memory for rare-URL detail (default 128MB); past it the oldest detail is dropped')
    .option('--anonymize', "pseudonymize people's addresses in every event, line and dashboard (anon-<prefix>-<keyed hash>, stable with the key in the user data directory); replayers stay named")
    .addHelpText(
      'after',
      '\nRuns until interrupted (Ctrl-C or SIGTERM saves the state and exits 0).\n\nExamples:\n  replaywatch follow /var/log/nginx/ --state ~/.local/share/replaywatch/state.duckdb\n  replaywatch follow access.log --json --webhook https://hooks.example.org/rw --webhook-secret s3cret\n  replaywatch follow /var/log/nginx/access.log --dashboard 127.0.0.1:8080',
    )
    .action(async (inputs: string[], flags: FollowFlags) => {
      const minConfidence = Number(flags.minConfidence);
      if (!(minConfidence >= 0 && minConfidence <= 1)) throw new ReplaywatchError('E_USAGE', `--min-confidence must be between 0 and 1, not ${flags.minConfidence}`);
      const interval = Number(flags.interval);
      if (!(interval >= 50)) throw new ReplaywatchError('E_USAGE', `--interval must be at least 50 ms, not ${flags.interval}`);
      const listen = flags.dashboard === undefined ? null : parseListenAddress(flags.dashboard);
      for (const input of inputs) {
        if (!existsSync(resolve(io.cwd, input))) throw new ReplaywatchError('E_INPUT_UNREADABLE', `${input} does not exist`, { hint: 'follow names files or directories that exist (a file may be rotated away later)' });
        if (/\.gz$/i.test(input)) throw new ReplaywatchError('E_USAGE', `${input} is a rotated, compressed log: it will not grow`, { hint: `scan it: replaywatch scan ${input}` });
      }
      const statePath = flags.state === undefined ? null : followStatePath(flags.state);
      const reportKey = loadReportKey(io.env).key;
      const session = new FollowSession({
        targets: inputs.map((input) => resolve(io.cwd, input)),
        format: flags.format,
        clientIpField: flags.clientIpField,
        minConfidence,
        memoryBudget: flags.memoryBudget === undefined ? undefined : parseSize(flags.memoryBudget, '--memory-budget'),
        fromEnd: flags.fromEnd === true,
        plots: listen !== null,
        // secrets in URLs redacted in every event, line and dashboard, as in a scan's report;
        // people's addresses pseudonymized with --anonymize, with the same key
        redact: createRedactor(reportKey),
        anonymize: flags.anonymize === true ? createAnonymizer(reportKey) : undefined,
        resume: statePath === null ? undefined : loadSnapshot(statePath),
      });
      const secret = flags.webhookSecret ?? io.env.REPLAYWATCH_WEBHOOK_SECRET;
      const webhook: WebhookSender | null =
        flags.webhook === undefined
          ? null
          : createWebhookSender(flags.webhook, { secret, retries: 5, userAgent: 'replaywatch-follow', maxQueue: 10_000, onError: (message) => io.stderr.write(`replaywatch: ${message}\n`) });
      const exec = flags.exec === undefined ? null : execRunner(flags.exec, io);
      let dashboard: Dashboard | null = null;

      const tell = (events: FollowEvent[]): void => {
        for (const event of events) {
          io.stdout.write(flags.json === true ? JSON.stringify(event) + '\n' : describeEvent(event) + '\n');
          webhook?.send(event);
          exec?.run(event);
        }
      };
      let lastSave = 0;
      const save = (): void => {
        if (statePath === null) return;
        saveSnapshot(statePath, session.snapshot());
        lastSave = Date.now();
      };

      let lastAnalysis = 0;
      let analysisCost = 0;
      let linesAtLast = session.lines;
      let timeAtLast = Date.now();
      let pending = true;
      let lastModel: ReportModel | null = null;
      const tick = async (): Promise<void> => {
        if (session.poll() > 0) pending = true;
        const now = Date.now();
        // analysis walks the whole index: at most a quarter of the time goes to it
        if (!pending || now - lastAnalysis < Math.max(interval, analysisCost * 3)) return;
        pending = false;
        const started = performance.now();
        const { model, events } = session.analyze(now);
        lastModel = model;
        analysisCost = performance.now() - started;
        lastAnalysis = now;
        tell(events);
        if (dashboard !== null) {
          const lines = session.lines;
          dashboard.publish(withLive(model, lines, ((lines - linesAtLast) * 1000) / Math.max(1, now - timeAtLast), now));
          linesAtLast = lines;
          timeAtLast = now;
        }
        // what was told is saved at once (a restart must not tell it again); the rest every 30 s
        if (events.length > 0 || now - lastSave > 30_000) save();
      };

      await tick();
      if (listen !== null) {
        dashboard = await startDashboard(listen, withLive(lastModel ?? session.report().model, session.lines, 0, Date.now()));
        io.stderr.write(`replaywatch: dashboard on ${dashboard.url}\n`);
      }
      await new Promise<void>((done) => {
        let timer: NodeJS.Timeout | null = null;
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          if (timer !== null) clearTimeout(timer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        const loop = (): void => {
          tick().then(
            () => {
              if (!stopping) timer = setTimeout(loop, interval);
            },
            (error: unknown) => {
              io.stderr.write(`replaywatch: ${error instanceof Error ? error.message : String(error)}\n`);
              stop();
            },
          );
        };
        timer = setTimeout(loop, interval);
      });
      save();
      session.close();
      await dashboard?.close();
      await Promise.all([webhook?.drain(), exec?.drain()]);
      setExitCode(0);
    });
};

/** The model with the dashboard's figures: throughput and the latest evidence, newest first. */
function withLive(model: ReportModel, lines: number, linesPerSecond: number, now: number): ReportModel {
  const recent = model.sources
    .flatMap((source, index) => source.examples.map((example) => ({ ...example, source: index, lead: source.kind === 'prefetcher' })))
    .sort((a, b) => (b.lead ? b.origin : b.replay).time.localeCompare((a.lead ? a.origin : a.replay).time))
    .slice(0, 15);
  return { ...model, live: { updated: new Date(now).toISOString(), lines, linesPerSecond, recent } };
}
