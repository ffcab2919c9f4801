import type { AddressInfo } from 'node:net';
import Fastify, { FastifyInstance } from 'fastify';
import type { Logger } from '../logger';
import type { Readiness } from './readiness';
import { redactSecrets } from './redact-secrets';

export interface OpsServerDeps {
  readiness: { check(): Promise<Readiness> };
  metrics: { contentType: string; render(): Promise<string> };
  logger: Logger;
}

/** /healthz, /readyz and /metrics over HTTP, for a process supervisor and Prometheus. */
export class OpsServer {
  private readonly http: FastifyInstance;
  /** Readiness changes are logged once each, not at every probe. */
  private lastReady?: boolean;

  constructor(private readonly deps: OpsServerDeps) {
    // Probes and scrapes come every few seconds; logging each request would bury the daemon's own lines.
    this.http = Fastify({ logger: false });
    this.http.get('/healthz', async () => ({ status: 'ok' }));
    this.http.get('/readyz', async (_req, reply) => {
      const r = await deps.readiness.check();
      if (r.ready !== this.lastReady) {
        if (r.ready) deps.logger.info({ checks: r.checks }, 'ready');
        else deps.logger.warn({ checks: r.checks }, 'not ready');
        this.lastReady = r.ready;
      }
      return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
    });
    this.http.get('/metrics', async (_req, reply) => {
      try {
        const text = await deps.metrics.render();
        return reply.type(deps.metrics.contentType).send(text);
      } catch (err) {
        // A failed scrape (Prometheus records it as down) rather than gauges that silently stopped moving.
        const message = redactSecrets(err instanceof Error ? err.message : String(err));
        deps.logger.warn({ error: message }, 'metrics scrape failed');
        return reply.code(503).type('text/plain; charset=utf-8').send(`指标暂不可用：${message}\n`);
      }
    });
  }

  /** Starts listening and returns the port bound (the one picked, for port 0). */
  async listen(host: string, port: number): Promise<number> {
    await this.http.listen({ host, port });
    return (this.http.server.address() as AddressInfo).port;
  }

  /** Stops accepting requests and waits for those in flight. */
  async close(): Promise<void> {
    await this.http.close();
  }
}
