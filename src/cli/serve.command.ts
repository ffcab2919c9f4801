import { Command } from 'commander';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ApiServer } from '../api/api-server';
import { AppContext } from '../app-context';
import { positiveInt } from './parse-id';

/**
 * The API alone, without the daemon's jobs: for more API capacity, behind a load balancer. Any number may run; they
 * share only PostgreSQL. /metrics on the same port carries its counters.
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('只提供 HTTP API（不运行采集等任务），可多个进程并行、置于负载均衡之后；地址见 duban.yaml 的 api')
    .option('--port <port>', '端口（默认：配置中的 api.port）', positiveInt('端口', 65535))
    .option('--allow-owner', '允许以超级用户或表所有者的数据库角色运行（只用于单一角色的开发数据库）')
    .action(async (opts: { port?: number; allowOwner?: boolean }, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<{ config?: string }>();
      const app = await AppContext.open({ configPath: config, prepare: true, requireAppRole: opts.allowOwner !== true });
      const registry = new Registry();
      collectDefaultMetrics({ register: registry });
      const server = await ApiServer.create({ services: app.services, config: app.config, logger: app.logger, now: app.now, registry });
      server.http.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
      server.http.get('/healthz', async () => ({ status: 'ok' }));
      const port = await server.listen(app.config.api.host, opts.port ?? app.config.api.port);
      app.logger.info({ api: `http://${app.config.api.host}:${port}/api/v1` }, 'duban api serving');
      const stop = async () => {
        await server.close();
        await app.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
    });
}
