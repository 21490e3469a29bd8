import type { Redis } from 'ioredis';

export interface EvictionPolicyStatus {
  readonly safe: boolean;
  readonly detail: string;
}

/**
 * Checks that Redis never evicts keys under memory pressure: either no `maxmemory` is set or the
 * policy is `noeviction`. Read from INFO, which managed Redis services allow where CONFIG is disabled.
 */
export async function checkEvictionPolicy(redis: Redis): Promise<EvictionPolicyStatus> {
  const info = await redis.info('memory');
  const maxMemory = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 'NaN');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined || Number.isNaN(maxMemory)) {
    return { safe: false, detail: 'Redis INFO memory does not report maxmemory and maxmemory_policy, so blacklist entries may be evicted' };
  }
  if (maxMemory === 0 || policy === 'noeviction') return { safe: true, detail: `maxmemory ${maxMemory}, maxmemory-policy ${policy}` };
  return {
    safe: false,
    detail: `Redis runs with maxmemory ${maxMemory} and maxmemory-policy ${policy}, which may evict blacklist entries; set maxmemory-policy noeviction`,
  };
}
