import type { ConnectionUsers } from '../../ports/connection-users.js';
import type { RedisClient } from './client.js';
import { connectionKeys } from './redis-keys.js';

/** `{c:CONNECTION}:user` (the connection's slot), expiring with the connection (API Gateway's 2 h). */
export class RedisConnectionUsers implements ConnectionUsers {
  constructor(private readonly redis: RedisClient) {}

  async remember(connectionId: string, userId: string, expiresAt: number): Promise<void> {
    await this.redis.set(connectionKeys(connectionId).user, userId, 'PXAT', expiresAt);
  }

  userOf(connectionId: string): Promise<string | null> {
    return this.redis.get(connectionKeys(connectionId).user);
  }

  async forget(connectionId: string): Promise<void> {
    await this.redis.del(connectionKeys(connectionId).user);
  }
}
