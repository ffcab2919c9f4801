import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './private-services';
import { tempDir } from './temp-dir';

const run = promisify(execFile);

export interface LocalRedisCluster {
  /** `127.0.0.1:P1,127.0.0.1:P2,…`: what REDIS_CLUSTER_NODES is set to. */
  nodes: string;
  ports: number[];
  /** Stops every node and removes their folder; safe to call twice, and after a start that failed half-way. */
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of the test's own, built from nothing: `masters` redis-server processes in cluster mode on free ports
 * (each with a free cluster bus port too) in a temp folder, joined by `redis-cli --cluster create` with no replicas, and
 * returned once every node says `cluster_state:ok`. Asynchronous throughout: the test's in-process SMTP server keeps
 * answering the daemons meanwhile.
 */
export async function startRedisCluster(masters = 3, timeoutMs = 30_000): Promise<LocalRedisCluster> {
  const dir = tempDir('duban-redis-cluster-');
  const servers: Array<{ port: number; child: ChildProcess; output: () => string }> = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(servers.map(({ child }) => stopProcess(child)));
    dir.remove();
  };
  try {
    const ports = new Set<number>();
    const pick = async () => {
      for (;;) {
        const p = await freePort();
        if (ports.has(p)) continue;
        ports.add(p);
        return p;
      }
    };
    for (let i = 0; i < masters; i++) {
      const port = await pick();
      const busPort = await pick();
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path,
          '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPort),
          '--cluster-node-timeout', '5000', '--appendonly', 'no', '--save', '', '--daemonize', 'no', '--maxmemory-policy', 'noeviction',
        ],
        { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
      child.stderr!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
      child.on('error', (err) => (output += `\n${err.message}`));
      servers.push({ port, child, output: () => output });
    }
    const deadline = Date.now() + timeoutMs;
    const cli = (port: number, ...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
    /** Polls until `ok` says so for every node; fails at once, with its output, if a node died. */
    const until = async (what: string, ok: (port: number) => Promise<boolean>) => {
      for (const s of servers) {
        for (;;) {
          if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`redis-server on port ${s.port} exited (${s.child.exitCode ?? s.child.signalCode}):\n${s.output()}`);
          if (await ok(s.port).catch(() => false)) break;
          if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} not reached within ${timeoutMs} ms on port ${s.port}:\n${s.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await until('PONG', async (port) => (await cli(port, 'ping')).stdout.trim() === 'PONG');
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: timeoutMs });
    await until('cluster_state:ok', async (port) => {
      const info = (await cli(port, 'cluster', 'info')).stdout;
      return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info) && /cluster_slots_ok:16384\b/.test(info);
    });
    return { nodes: addresses.join(','), ports: servers.map((s) => s.port), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** SIGTERM, and SIGKILL if it has not gone within 5 s; resolves once it has exited. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
