import { describe, expect, it } from 'vitest';
import { broadcastInfo, channelOf, servedDirect } from './broadcast.js';

describe('channels of topics', () => {
  it('an id that is a channel segment gets /live/{kind}/{id}', () => {
    expect(channelOf({ kind: 'auction', id: '01JABCDEF' })).toBe('/live/auction/01JABCDEF');
    expect(channelOf({ kind: 'product', id: 'p-1' })).toBe('/live/product/p-1');
    expect(channelOf({ kind: 'auction', id: 'a'.repeat(50) })).toBe(`/live/auction/${'a'.repeat(50)}`);
  });

  it('ids AppSync refuses as a segment have none: underscore, dash at an end, over 50 characters', () => {
    for (const id of ['has_underscore', '-lead', 'trail-', 'a'.repeat(51)])
      expect(channelOf({ kind: 'auction', id })).toBeNull();
  });
});

describe('delivery', () => {
  it('direct while the audience, newcomer included, is below the threshold; 0 never direct', () => {
    expect(servedDirect(99, 100)).toBe(true);
    expect(servedDirect(100, 100)).toBe(false);
    expect(servedDirect(1, 0)).toBe(false);
  });

  it('the broadcast object names the HTTP domain as host and the key', () => {
    expect(
      broadcastInfo({
        realtimeUrl: 'wss://x.appsync-realtime-api.us-east-1.amazonaws.com/event/realtime',
        host: 'x.appsync-api.us-east-1.amazonaws.com',
        apiKey: 'da2-key',
      }),
    ).toEqual({
      realtimeUrl: 'wss://x.appsync-realtime-api.us-east-1.amazonaws.com/event/realtime',
      authorization: { host: 'x.appsync-api.us-east-1.amazonaws.com', 'x-api-key': 'da2-key' },
      channels: { auction: '/live/auction/{id}', product: '/live/product/{id}' },
    });
  });
});
