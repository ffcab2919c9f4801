/** Connection strings and secrets come only from the environment, never from config files or logs. */
export interface DubanEnv {
  /** The app role's connection: it owns nothing and may only what src/db/grants.ts grants. */
  databaseUrl: string;
  /**
   * MIGRATION_DATABASE_URL, the owner role's connection: migrations run through it and grant the app role its
   * privileges. Unset, the app's own connection migrates if it may (one role for everything: development, the demo).
   */
  migrationDatabaseUrl?: string;
  /** REDIS_URL: a single Redis (default redis://127.0.0.1:6379); unused when REDIS_CLUSTER_NODES is set. Never logged. */
  redisUrl: string;
  /**
   * REDIS_CLUSTER_NODES, e.g. `10.0.0.11:6379,10.0.0.12:6379,10.0.0.13:6379`: seed nodes of a Redis Cluster (any few of
   * its nodes; the client finds the rest). Set, duban talks to the cluster instead of REDIS_URL.
   */
  redisClusterNodes?: RedisNode[];
  /** REDIS_USERNAME: an ACL user, for the cluster's nodes (or a single Redis whose URL names none). */
  redisUsername?: string;
  /** REDIS_PASSWORD: for the cluster's nodes (or a single Redis whose URL carries none). Never logged. */
  redisPassword?: string;
  /** e.g. smtp://user:pass@mail.example.gov.cn:587; absent, messages wait in the outbox. Never logged. */
  smtpUrl?: string;
  /**
   * Prefix of every BullMQ key, so several deployments (or test runs) can share one Redis. Default `duban` on a single
   * Redis (as it always was) and `{duban}` on a cluster, where it must carry a hash tag: BullMQ's scripts touch several
   * keys of the queue at once, which a cluster allows only within one hash slot.
   */
  queuePrefix: string;
  /**
   * DUBAN_NOW, an instant such as 2026-11-23T08:30:00+08:00: the commands act as if it were then (rehearsing next
   * Monday's letters, tests, the demo). Unset, the wall clock.
   */
  now?: Date;
  /** DUBAN_CHECKPOINT_KEY: the checkpoint signing key itself (PEM). Never logged. */
  checkpointKey?: string;
  /** DUBAN_CHECKPOINT_KEY_FILE: a file holding it. */
  checkpointKeyFile?: string;
  /** DUBAN_LINK_SECRET: signs letters' reply links (at least 32 characters). Unset, letters carry no link. Never logged. */
  linkSecret?: string;
}

export interface RedisNode {
  host: string;
  port: number;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): DubanEnv {
  const clusterNodes = env.REDIS_CLUSTER_NODES?.trim() ? parseClusterNodes(env.REDIS_CLUSTER_NODES) : undefined;
  return {
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: queuePrefix(env.DUBAN_QUEUE_PREFIX, clusterNodes !== undefined),
    ...(clusterNodes ? { redisClusterNodes: clusterNodes } : {}),
    ...(env.REDIS_USERNAME ? { redisUsername: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { redisPassword: env.REDIS_PASSWORD } : {}),
    ...(env.MIGRATION_DATABASE_URL ? { migrationDatabaseUrl: env.MIGRATION_DATABASE_URL } : {}),
    ...(env.SMTP_URL ? { smtpUrl: env.SMTP_URL } : {}),
    ...(env.DUBAN_CHECKPOINT_KEY ? { checkpointKey: env.DUBAN_CHECKPOINT_KEY } : {}),
    ...(env.DUBAN_CHECKPOINT_KEY_FILE ? { checkpointKeyFile: env.DUBAN_CHECKPOINT_KEY_FILE } : {}),
    ...(env.DUBAN_NOW ? { now: parseInstant(env.DUBAN_NOW) } : {}),
    ...(env.DUBAN_LINK_SECRET ? { linkSecret: linkSecret(env.DUBAN_LINK_SECRET) } : {}),
  };
}

/** The default BullMQ prefix on a single Redis; on a cluster it is wrapped in a hash tag. */
export const DEFAULT_QUEUE_PREFIX = 'duban';

function queuePrefix(given: string | undefined, cluster: boolean): string {
  if (given === undefined || given === '') return cluster ? `{${DEFAULT_QUEUE_PREFIX}}` : DEFAULT_QUEUE_PREFIX;
  if (cluster && hashTag(given) === undefined) {
    throw new Error(`Redis Cluster 上 DUBAN_QUEUE_PREFIX 须带哈希标签，使队列的所有键落在同一个哈希槽（例如 {${given.replace(/[{}]/g, '') || DEFAULT_QUEUE_PREFIX}}）：${given}`);
  }
  return given;
}

/**
 * The part of `key` Redis Cluster hashes by: the text between the first `{` and the first `}` after it when that is
 * not empty (the cluster specification's hash tag), else none and the whole key is hashed. Keys with the same hash tag
 * share a slot.
 */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close < 0 || close === open + 1 ? undefined : key.slice(open + 1, close);
}

/** `host:port` (or `[v6]:port`, or a host alone for port 6379), comma-separated. */
export function parseClusterNodes(text: string): RedisNode[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(?:\[([^\]]+)\]|([^:\s/]+))(?::(\d+))?$/.exec(entry);
      const port = m?.[3] === undefined ? 6379 : Number(m[3]);
      if (!m || !(port >= 1 && port <= 65535)) throw new Error(`REDIS_CLUSTER_NODES 须是逗号分隔的 host:port（例如 10.0.0.11:6379,10.0.0.12:6379）：${entry}`);
      return { host: (m[1] ?? m[2])!, port };
    });
}

function linkSecret(text: string): string {
  if (text.length < 32) throw new Error('DUBAN_LINK_SECRET 太短：至少 32 个字符（例如 openssl rand -base64 48 的输出）');
  return text;
}

function parseInstant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new Error(`DUBAN_NOW 不是有效的时刻（例如 2026-11-23T08:30:00+08:00）：${text}`);
  return at;
}

/** Where duban looks for its database when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/duban';
