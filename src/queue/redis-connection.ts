import IORedis, { Redis } from 'ioredis';

/**
 * BullMQ workers block on Redis, so commands must wait for a reconnect instead of failing after N retries
 * (`maxRetriesPerRequest: null`); the daemon survives a Redis restart this way.
 */
export function createRedis(url: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}
