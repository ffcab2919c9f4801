import { Cluster, Redis } from 'ioredis';
import { hashTag, loadEnv, parseClusterNodes } from '../../src/config/env';
import { createRedis, isCluster } from '../../src/queue/redis-connection';

describe('Redis from the environment', () => {
  it('is a single Redis at REDIS_URL with the prefix duban, as it always was', () => {
    expect(loadEnv({})).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', queuePrefix: 'duban' });
    expect(loadEnv({}).redisClusterNodes).toBeUndefined();
    expect(loadEnv({ DUBAN_QUEUE_PREFIX: 'duban-city' }).queuePrefix).toBe('duban-city');
  });

  it('is a cluster with REDIS_CLUSTER_NODES, its default prefix hash-tagged', () => {
    const env = loadEnv({ REDIS_CLUSTER_NODES: ' 10.0.0.11:7000, 10.0.0.12:7001,redis-3 ,[fd00::13]:7002', REDIS_PASSWORD: 's3cret', REDIS_USERNAME: 'duban' });
    expect(env.redisClusterNodes).toEqual([
      { host: '10.0.0.11', port: 7000 },
      { host: '10.0.0.12', port: 7001 },
      { host: 'redis-3', port: 6379 },
      { host: 'fd00::13', port: 7002 },
    ]);
    expect(env).toMatchObject({ queuePrefix: '{duban}', redisPassword: 's3cret', redisUsername: 'duban' });
    expect(loadEnv({ REDIS_CLUSTER_NODES: '10.0.0.11:7000', DUBAN_QUEUE_PREFIX: '{duban-city}' }).queuePrefix).toBe('{duban-city}');
    expect(loadEnv({ REDIS_CLUSTER_NODES: '10.0.0.11:7000', DUBAN_QUEUE_PREFIX: 'city:{duban}' }).queuePrefix).toBe('city:{duban}');
  });

  it('refuses, on a cluster, a prefix whose keys would spread over slots, and nodes it cannot read', () => {
    for (const prefix of ['duban', '{}duban', 'duban{', 'duban}{']) {
      expect(() => loadEnv({ REDIS_CLUSTER_NODES: '10.0.0.11:7000', DUBAN_QUEUE_PREFIX: prefix })).toThrow(/哈希标签/);
    }
    for (const nodes of ['10.0.0.11:0', '10.0.0.11:70000', 'redis://10.0.0.11:7000', '10.0.0.11:7000:1']) {
      expect(() => parseClusterNodes(nodes)).toThrow(/REDIS_CLUSTER_NODES/);
    }
  });

  it('finds the hash tag as Redis Cluster does: the first {…} that is not empty', () => {
    expect(hashTag('{duban}:duban:wait')).toBe('duban');
    expect(hashTag('x{a}{b}')).toBe('a');
    expect(hashTag('{{a}}')).toBe('{a');
    expect(hashTag('{}{a}')).toBeUndefined();
    expect(hashTag('duban:wait')).toBeUndefined();
  });

  it('opens a Cluster client, its options on every node, or a single one (nothing listens on port 1)', () => {
    const cluster = createRedis({ redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: [{ host: '127.0.0.1', port: 1 }], redisPassword: 'pw' });
    const single = createRedis({ redisUrl: 'redis://127.0.0.1:1', redisPassword: 'pw' });
    for (const c of [cluster, single]) c.on('error', () => undefined);
    try {
      expect(isCluster(cluster)).toBe(true);
      expect(cluster).toBeInstanceOf(Cluster);
      expect((cluster as Cluster).options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, password: 'pw' });
      expect(isCluster(single)).toBe(false);
      expect(single).toBeInstanceOf(Redis);
      expect((single as Redis).options).toMatchObject({ maxRetriesPerRequest: null, password: 'pw', port: 1 });
    } finally {
      cluster.disconnect();
      single.disconnect();
    }
  });
});
