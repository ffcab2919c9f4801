import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

export interface DaemonProcess {
  child: ChildProcess;
  /** How the process ended: its exit code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stderr (crash points announce themselves there). */
  stderr(): string;
  /** The last lines of its log, for a failure message. */
  logTail(lines?: number): string;
  /** Resolves at the first log line (now or to come) that matches. */
  untilLog(pattern: RegExp): Promise<string>;
  /** Resolves once the daemon logged that it is up (ops endpoints listening, first sweep done), with its ops port. */
  started: Promise<number>;
  /** SIGTERM once it is up (Node's own default would end a process still loading its modules), and the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `duban start` as the operator runs it: the built CLI (see build-cli.js), in its own process. */
export function startDaemonProcess(configFile: string, env: Record<string, string | undefined>, args: string[] = []): DaemonProcess {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', '--config', configFile, 'start', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const log: string[] = [];
  let up: (port: number) => void;
  const watchers: Array<{ pattern: RegExp; found: (line: string) => void }> = [];
  const started = new Promise<number>((resolve) => (up = resolve));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  child.stdout!.on('data', (b: Buffer) => {
    if (process.env.DAEMON_LOG_DIR) appendFileSync(path.join(process.env.DAEMON_LOG_DIR, `${child.pid}.log`), b);
    const lines = b.toString().split('\n').filter(Boolean);
    for (const line of lines) {
      const port = /"ops":"http:\/\/[^"]*:(\d+)".*"msg":"duban started"/.exec(line)?.[1];
      if (port) up(Number(port));
      for (const w of watchers.splice(0)) (w.pattern.test(line) ? w.found(line) : watchers.push(w));
    }
    log.push(...lines);
    if (log.length > 400) log.splice(0, log.length - 400);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A daemon that dies before it is up fails the wait with what it said, instead of leaving the test to time out.
  const died = exited.then(({ code, signal }) => {
    throw new Error(`duban start exited before it was up (code ${code}, signal ${signal}):\n${err}\n${log.slice(-20).join('\n')}`);
  });
  died.catch(() => undefined);
  // One that is neither up nor dead after a minute and a half is stuck: fail with its log, not the test's timeout.
  let stuckTimer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    stuckTimer = setTimeout(() => reject(new Error(`duban start not up after 90 s (pid ${child.pid}):\n${err}\n${log.slice(-30).join('\n')}`)), 90_000);
    stuckTimer.unref();
  });
  stuck.catch(() => undefined);
  void started.finally(() => clearTimeout(stuckTimer));
  void exited.finally(() => clearTimeout(stuckTimer));
  // Marked handled here: a test that expects the daemon to refuse to start awaits `exited`, not this.
  const upOrFailed = Promise.race([started, died, stuck]);
  upOrFailed.catch(() => undefined);
  return {
    child,
    exited,
    stderr: () => err,
    logTail: (lines = 20) => log.slice(-lines).join('\n'),
    started: upOrFailed,
    untilLog: (pattern) => {
      const seen = log.find((l) => pattern.test(l));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((found) => watchers.push({ pattern, found }));
    },
    stop: async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([started, exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
