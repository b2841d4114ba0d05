/**
 * Channel paths and the subscription index of the local AppSync Events stand-in. Pure: no sockets.
 *
 * A channel path is `/namespace/segment/...`: 1 to `maxChannelSegments` segments (the namespace
 * included), each 1 to `maxSegmentLength` characters of letters, digits and `-` (not at either
 * end), case-sensitive. A leading `/` is optional (AWS's own HTTP example publishes to
 * `default/channel`). A subscription may end with the wildcard segment `*`: `/live/*` receives
 * what is published to every channel below `/live` (`/live/auction/1` included); publishing to a
 * wildcard is refused.
 */

export interface ChannelRules {
  maxChannelSegments: number;
  maxSegmentLength: number;
}

export type ParsedChannel =
  | { ok: true; path: string; namespace: string; segments: string[]; wildcard: boolean }
  | { ok: false; message: string };

const SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

export function parseChannel(raw: unknown, rules: ChannelRules, allowWildcard: boolean): ParsedChannel {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, message: 'channel is required' };
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  const segments = body.split('/');
  if (segments.length > rules.maxChannelSegments)
    return { ok: false, message: `A channel has at most ${rules.maxChannelSegments} segments` };
  const last = segments.length - 1;
  let wildcard = false;
  for (let index = 0; index <= last; index++) {
    const segment = segments[index] as string;
    if (segment === '*' && index === last && index > 0) {
      if (!allowWildcard) return { ok: false, message: 'Wildcards are not allowed when publishing' };
      wildcard = true;
      continue;
    }
    if (segment.length > rules.maxSegmentLength)
      return { ok: false, message: `A channel segment has at most ${rules.maxSegmentLength} characters` };
    if (!SEGMENT.test(segment))
      return {
        ok: false,
        message: `Invalid channel segment '${segment.slice(0, 60)}': letters, digits and '-' only`,
      };
  }
  const named = wildcard ? segments.slice(0, -1) : segments;
  return { ok: true, path: `/${named.join('/')}`, namespace: segments[0] as string, segments, wildcard };
}

/**
 * Subscribers by channel: exact paths in one map, wildcard subscriptions by the path they cover.
 * A publish to `/a/b/c` reads the exact set of `/a/b/c` and the wildcard sets of `/a`, `/a/b`
 * and `/a/b/c` (at most `maxChannelSegments` lookups, whatever the number of subscribers).
 */
export class SubscriptionIndex<S> {
  private readonly exact = new Map<string, Set<S>>();
  private readonly below = new Map<string, Set<S>>();
  private count = 0;

  add(channel: { path: string; wildcard: boolean }, subscriber: S): void {
    const map = channel.wildcard ? this.below : this.exact;
    let set = map.get(channel.path);
    if (!set) {
      set = new Set();
      map.set(channel.path, set);
    }
    if (!set.has(subscriber)) {
      set.add(subscriber);
      this.count++;
    }
  }

  remove(channel: { path: string; wildcard: boolean }, subscriber: S): void {
    const map = channel.wildcard ? this.below : this.exact;
    const set = map.get(channel.path);
    if (set?.delete(subscriber)) {
      this.count--;
      if (set.size === 0) map.delete(channel.path);
    }
  }

  get size(): number {
    return this.count;
  }

  /**
   * The sets whose subscribers receive what is published to `path` (a concrete path). A
   * subscriber of both `/live/*` and `/live/a` gets the event once per subscription, as each
   * subscription has its own id.
   */
  audience(path: string): Set<S>[] {
    const sets: Set<S>[] = [];
    const exact = this.exact.get(path);
    if (exact) sets.push(exact);
    if (this.below.size > 0) {
      // `/a/b/c`: the wildcards `/a/*` and `/a/b/*` cover it (a wildcard is never the namespace
      // alone without a segment below it, so `/a/b/c/*` does not cover `/a/b/c`).
      let at = path.indexOf('/', 1);
      while (at !== -1) {
        const set = this.below.get(path.slice(0, at));
        if (set) sets.push(set);
        at = path.indexOf('/', at + 1);
      }
    }
    return sets;
  }
}
