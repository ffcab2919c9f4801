import IORedis, { Cluster, Redis } from 'ioredis';
import type { DubanEnv } from '../config/env';

/** A connection to a single Redis (`REDIS_URL`) or to a Redis Cluster (`REDIS_CLUSTER_NODES`): BullMQ takes either. */
export type RedisClient = Redis | Cluster;

/** What picks and opens the connection: read from the environment only (src/config/env.ts). */
export type RedisSettings = Pick<DubanEnv, 'redisUrl' | 'redisClusterNodes' | 'redisUsername' | 'redisPassword'>;

/**
 * BullMQ workers block on Redis, so commands must wait for a reconnect instead of failing after N retries
 * (`maxRetriesPerRequest: null`); the daemon survives a Redis restart this way.
 *
 * With `REDIS_CLUSTER_NODES` the same options go to every node's connection (`redisOptions`); the cluster client itself
 * is ready only once `CLUSTER INFO` says the cluster is (`enableReadyCheck`), keeps commands while it reconnects
 * (`enableOfflineQueue`, its default) and keeps trying the seed nodes when none answers (`clusterRetryStrategy`,
 * ioredis' default: forever, at most 2 s apart). Reads go to the masters (`scaleReads: 'master'`): a replica may lag,
 * and BullMQ's scripts write anyway. The password comes from REDIS_PASSWORD (or REDIS_URL), never from a file.
 */
export function createRedis(settings: RedisSettings): RedisClient {
  const auth = {
    ...(settings.redisUsername ? { username: settings.redisUsername } : {}),
    ...(settings.redisPassword ? { password: settings.redisPassword } : {}),
  };
  if (settings.redisClusterNodes && settings.redisClusterNodes.length > 0) {
    return new Cluster(
      settings.redisClusterNodes.map((n) => ({ host: n.host, port: n.port })),
      {
        enableReadyCheck: true,
        enableOfflineQueue: true,
        lazyConnect: false,
        scaleReads: 'master',
        redisOptions: { maxRetriesPerRequest: null, enableReadyCheck: true, ...auth },
      },
    );
  }
  // The URL's own user and password (redis://:pass@host:6379) come first; REDIS_PASSWORD fills in when it has none.
  return new IORedis(settings.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...auth });
}

/** A second connection like `client` (the worker's own, for its blocking commands), to the same node or cluster. */
export function duplicateRedis(client: RedisClient): RedisClient {
  return isCluster(client) ? client.duplicate() : client.duplicate();
}

/** Whether a connection is to a cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/**
 * The readiness probe on the daemon's connection. On a single Redis, PING. On a cluster a PING answers from any node,
 * even one that serves nothing, so the probe asks the node that serves the queue's slot instead (EXISTS of a key of
 * the queue): it fails when that slot is down, which is when the queue is.
 */
export function redisProbe(client: RedisClient, queueKey: string): { ping(): Promise<unknown> } {
  return { ping: () => (isCluster(client) ? client.exists(queueKey) : client.ping()) };
}
