import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tempDir } from './temp-dir';

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PrivateService {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** PostgreSQL's binaries of the newest installed version (Debian keeps them out of PATH). */
function pgBin(tool: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return `/usr/lib/postgresql/${versions[0]}/bin/${tool}`;
}

/** initdb and the server refuse to run as root: as root, they run as the postgres user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/**
 * A PostgreSQL cluster of the test's own, in a temp folder, on its own port: stopping it stops nobody else's
 * database. Trust authentication on 127.0.0.1, as on the development machines.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const dir = tempDir('duban-pg-');
  const data = dir.file('data');
  const port = await freePort();
  if (process.getuid?.() === 0) chownSync(dir.path, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  execFileSync(...asPostgres(pgBin('initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']), { stdio: 'ignore' });
  const ctl = (...args: string[]) => void execFileSync(...asPostgres(pgBin('pg_ctl'), ['-D', data, ...args]), { stdio: 'ignore' });
  const service: PrivateService = {
    url: `postgres://postgres@127.0.0.1:${port}`,
    start: async () => ctl('-o', `-p ${port} -k ${dir.path} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', dir.file('server.log'), '-w', 'start'),
    // Fast: the sessions are cut off, as when the server goes away under them.
    stop: async () => ctl('-m', 'fast', '-w', 'stop'),
    remove: async () => {
      await service.stop().catch(() => undefined);
      dir.remove();
    },
  };
  await service.start();
  return service;
}

/**
 * A Redis of the test's own, with an append-only file as the runbook asks for, so that a restart finds the queue as
 * it was left.
 */
export async function startPrivateRedis(): Promise<PrivateService> {
  const dir = tempDir('duban-redis-');
  const port = await freePort();
  let server: ChildProcess | undefined;
  const service: PrivateService = {
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        try {
          execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`redis-server on port ${port} did not come up`);
    },
    stop: async () => {
      const s = server;
      if (!s || s.exitCode !== null) return;
      await new Promise((resolve) => {
        s.once('exit', resolve);
        s.kill('SIGTERM');
      });
    },
    remove: async () => {
      await service.stop();
      dir.remove();
    },
  };
  await service.start();
  return service;
}
