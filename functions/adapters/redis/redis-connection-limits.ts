import type { ConnectionLimits, MessageAdmission } from '../../realtime/ports.js';
import type { RedisClient } from './client.js';
import { runAdmitConnection } from './lua/realtime/ws-admit-connection.js';
import { runAdmitMessage } from './lua/realtime/ws-admit-message.js';
import { sourceKeys } from './redis-keys.js';

export interface ConnectionLimitSettings {
  /** Live connections per source address, 0 = no cap. */
  connectionsPerSource: number;
  /** Inbound messages per connection per window, 0 = no limit. */
  messages: { max: number; windowMs: number };
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimitSettings = {
  connectionsPerSource: 100,
  messages: { max: 60, windowMs: 10_000 },
};

/**
 * WebSocket abuse limits on Redis: live connections per source address (`{ip:ADDRESS}:conns`, a
 * zset with each connection's expiry) and inbound messages per connection (`{c:ID}:rate`, a fixed
 * window counter). Each check is one script on one slot.
 */
export class RedisConnectionLimits implements ConnectionLimits {
  constructor(
    private readonly redis: RedisClient,
    private readonly settings: ConnectionLimitSettings = DEFAULT_CONNECTION_LIMITS,
  ) {}

  async admitConnection(sourceIp: string, connectionId: string, expiresAt: number): Promise<boolean> {
    if (this.settings.connectionsPerSource <= 0) return true;
    return runAdmitConnection(this.redis, sourceIp, {
      connectionId,
      expiresAt,
      maxPerSource: this.settings.connectionsPerSource,
    });
  }

  async releaseConnection(sourceIp: string, connectionId: string): Promise<void> {
    if (this.settings.connectionsPerSource <= 0) return;
    await this.redis.zrem(sourceKeys(sourceIp).connections, connectionId);
  }

  async admitMessage(connectionId: string): Promise<MessageAdmission> {
    const { max, windowMs } = this.settings.messages;
    if (max <= 0) return { status: 'admitted' };
    const { count, msLeft: retryAfterMs } = await runAdmitMessage(this.redis, connectionId, {
      max,
      windowMs,
    });
    if (count <= max) return { status: 'admitted' };
    // The first refusal of a window is answered; later ones are dropped unanswered, so a flood
    // costs no more PostToConnection calls than the limit allows.
    return { status: count === max + 1 ? 'refused' : 'dropped', retryAfterMs };
  }
}
