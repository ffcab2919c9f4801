import type { AddressInfo } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Registry } from 'prom-client';
import type { DubanConfig } from '../config/load-config';
import { allows, API_ROLES, ApiAction, grantsTable, Identity, ROLE_LABELS } from '../domain/access-policy';
import { UsageError } from '../domain/names';
import { TransitionRefused } from '../domain/problem-state';
import type { Logger } from '../logger';
import type { AppServices } from '../services';
import { consoleRoutes } from '../console/console.routes';
import { ApiError } from './api-error';
import { docsPage } from './docs-page';
import { catalogueRoutes } from './catalogue.routes';
import { ledgerRoutes } from './ledger.routes';
import { messageRoutes } from './message.routes';
import { operationsRoutes } from './operations.routes';
import { problemRoutes } from './problem.routes';
import { ERROR_SCHEMA } from './schemas';

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
  interface FastifyInstance {
    /** Every route of the API with the action it performs (none: public), for the docs and the tests. */
    apiRoutes: Array<{ method: string; url: string; action?: ApiAction }>;
  }
  interface FastifyContextConfig {
    /** What the route does, as the access policy names it; absent only on the public routes (the API's own document). */
    action?: ApiAction;
  }
}

export interface ApiDeps {
  services: AppServices;
  config: DubanConfig;
  logger: Logger;
  now: () => Date;
  /** Where the API's counters go: the daemon's /metrics registry, or one of its own (`duban serve`). */
  registry: Registry;
}

export const API_PREFIX = '/api/v1';

/**
 * The HTTP API under /api/v1: every request authenticated by `Authorization: Bearer` (an API token or a letter's reply
 * link), every route naming the action it performs, which the access policy (src/domain/access-policy.ts) allows or
 * refuses; errors as `{code, message}` in Chinese; the OpenAPI document generated from the routes' schemas. Routes only
 * translate HTTP to the services the CLI uses: no business rule lives here.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // Base64 inflates evidence by a third; a reply may carry several files.
  const http = Fastify({ logger: false, bodyLimit: Math.ceil(config.api.evidenceMaxBytes * 1.4) * 5 + 64 * 1024 });
  const denied = new Counter({ name: 'duban_api_denied_total', help: 'API requests refused: unauthenticated (by reason) or forbidden (by role)', labelNames: ['kind', 'reason'], registers: [deps.registry] });
  const requests = new Counter({ name: 'duban_api_requests_total', help: 'API requests by route and status class', labelNames: ['route', 'status'], registers: [deps.registry] });

  const apiRoutes: FastifyInstance['apiRoutes'] = [];
  http.decorate('apiRoutes', apiRoutes);
  http.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX)) return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') apiRoutes.push({ method, url: route.url, ...(route.config?.action ? { action: route.config.action } : {}) });
  });

  await http.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: '督办 API',
        version: '1',
        description: `政务服务指标日监测、周交办、对账销号。每个请求须带 Authorization: Bearer <令牌>（duban tokens create）或交办函中的回复链接令牌。\n\n${grantsTable()
          .map((g) => `- ${ROLE_LABELS[g.role]}（${g.role}）：${g.actions.join('、')}`)
          .join('\n')}`,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  http.addHook('onRequest', async (req, reply) => {
    const action = req.routeOptions.config.action;
    if (!action) return;
    const header = req.headers.authorization;
    const credential = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const auth = await deps.services.access.authenticate(credential);
    if (!auth.ok) {
      denied.inc({ kind: 'unauthenticated', reason: auth.reason });
      deps.logger.warn({ reason: auth.reason, route: req.routeOptions.url, ip: req.ip }, 'api: authentication failed');
      const message = auth.reason === 'missing' ? '未登录：请求须带 Authorization: Bearer <令牌>' : auth.reason.startsWith('link_') ? '回复链接无效、已过期或已撤销，请与督查科联系' : '令牌无效、已过期或已撤销';
      return reply.code(401).send({ code: 'unauthenticated', message });
    }
    req.identity = auth.identity;
    if (!allows(auth.identity, action)) {
      denied.inc({ kind: 'forbidden', reason: auth.identity.role });
      deps.logger.warn({ person: auth.identity.person, role: auth.identity.role, action, route: req.routeOptions.url }, 'api: forbidden');
      return reply.code(403).send({ code: 'forbidden', message: `${ROLE_LABELS[auth.identity.role]}无权执行此操作` });
    }
  });
  await http.register(rateLimit, {
    max: config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    hook: 'preHandler',
    keyGenerator: (req) => (req.identity?.tokenId !== undefined ? `token:${req.identity.tokenId}` : req.identity ? `link:${req.identity.units.join(',')}:${req.identity.period}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, code: 'rate_limited', message: `请求过于频繁：每分钟至多 ${ctx.max} 次，请稍后再试` }),
  });
  http.addHook('onResponse', async (req, reply) => {
    requests.inc({ route: req.routeOptions.url ?? 'unknown', status: `${Math.floor(reply.statusCode / 100)}xx` });
  });

  http.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err.validation) return reply.code(400).send({ code: 'invalid_request', message: `请求不符合要求：${err.validation.map((v) => validationText(err.validationContext, v)).join('；')}` });
    if (err instanceof ApiError) return reply.code(err.status).send({ code: err.code, message: err.message });
    if (err instanceof UsageError) return reply.code(400).send({ code: 'unknown_name', message: err.message });
    if (err instanceof TransitionRefused) return reply.code(409).send({ code: 'transition_refused', message: err.message });
    // The domain's own refusals of a malformed value (an ISO week, a day).
    if (err instanceof RangeError) return reply.code(400).send({ code: 'invalid_request', message: err.message });
    if (err.statusCode === 429) return reply.code(429).send({ code: 'rate_limited', message: err.message });
    if (err.statusCode === 413) return reply.code(413).send({ code: 'too_large', message: '请求过大（证据文件超过上限）' });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ code: 'unsupported_type', message: '请求体只接受 application/json' });
    if (err.code?.startsWith('FST_ERR_CTP_')) return reply.code(400).send({ code: 'invalid_request', message: '请求体不是有效的 JSON' });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ code: 'bad_request', message: `请求有误：${err.message}` });
    deps.logger.error({ err, route: req.routeOptions.url }, 'api: request failed');
    return reply.code(500).send({ code: 'internal', message: '服务器内部错误，已记录；请稍后再试或联系运维人员' });
  });
  http.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 'not_found', message: '没有这个地址' }));

  await consoleRoutes(http);
  await http.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => http.swagger());
      api.get('/docs', { schema: { hide: true } }, async (_req, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(docsPage(http.swagger() as Parameters<typeof docsPage>[0], (method, path) => rolesText(apiRoutes, method, path))),
      );
      api.get(
        '/me',
        {
          config: { action: 'catalogue.read' },
          schema: {
            summary: '当前身份：姓名、角色、可见单位',
            response: {
              200: { type: 'object', required: ['person', 'role', 'units', 'via'], properties: { person: { type: 'string' }, role: { type: 'string' }, units: { type: 'array', items: { type: 'string' } }, via: { type: 'string' }, period: { type: 'string' } } },
              401: ERROR_SCHEMA,
            },
          },
        },
        async (req) => {
          const me = req.identity!;
          return { person: me.person, role: me.role, units: [...me.units], via: me.via, ...(me.period ? { period: me.period } : {}) };
        },
      );
      await problemRoutes(api, deps);
      await messageRoutes(api, deps);
      await catalogueRoutes(api, deps);
      await ledgerRoutes(api, deps);
      await operationsRoutes(api, deps);
    },
    { prefix: API_PREFIX },
  );
  return http;
}

/** The roles that may call a route, in Chinese: 操作员、核验人员. */
function rolesText(routes: FastifyInstance['apiRoutes'], method: string, openApiPath: string): string {
  const route = routes.find((r) => r.method === method && r.url === openApiPath.replace(/\{(\w+)\}/g, ':$1'));
  if (!route?.action) return '无需令牌';
  return API_ROLES.filter((role) => allows({ role }, route.action!)).map((role) => ROLE_LABELS[role]).join('、');
}

/** One schema violation said in Chinese: where, and what was expected. */
function validationText(context: string | undefined, v: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }): string {
  const where = `${{ body: '请求体', querystring: '查询参数', params: '路径参数', headers: '请求头' }[context ?? ''] ?? context ?? ''}${v.instancePath ? ` ${v.instancePath.slice(1).replace(/\//g, '.')}` : ''}`;
  switch (v.keyword) {
    case 'required':
      return `${where}缺少 ${String(v.params.missingProperty)}`;
    case 'additionalProperties':
      return `${where}不接受字段 ${String(v.params.additionalProperty)}`;
    case 'type':
      return `${where}应为 ${({ integer: '整数', number: '数字', string: '文本', boolean: '真假值', array: '数组', object: '对象' } as Record<string, string>)[String(v.params.type)] ?? v.params.type}`;
    case 'enum':
      return `${where}应为以下之一：${(v.params.allowedValues as unknown[]).join('、')}`;
    case 'minLength':
      return `${where}不能为空`;
    case 'maxLength':
      return `${where}过长（至多 ${String(v.params.limit)} 个字符）`;
    case 'minimum':
    case 'maximum':
      return `${where}超出范围（${v.keyword === 'minimum' ? '至少' : '至多'} ${String(v.params.limit)}）`;
    case 'pattern':
    case 'format':
      return `${where}格式不对`;
    default:
      return `${where}${v.message ?? v.keyword}`;
  }
}

/** The API on its own port: started by `duban start` beside the daemon, or alone by `duban serve`. */
export class ApiServer {
  private constructor(readonly http: FastifyInstance) {}

  static async create(deps: ApiDeps): Promise<ApiServer> {
    return new ApiServer(await buildApi(deps));
  }

  async listen(host: string, port: number): Promise<number> {
    await this.http.listen({ host, port });
    return (this.http.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
