/**
 * `{"action":"subscribe","topic":"me"}` (API.md v1.2): on a connection opened with a token, the
 * user's own topic. The same ordering as a topic's subscribe (docs/realtime.md): the connection is
 * registered pending, `subscribed` carries the user's newest seq (PostgreSQL: the truth), then it is
 * activated with that seq as its floor; if a push wave skipped it meanwhile, the notifications after
 * the floor are sent from PostgreSQL in order before it activates again. So each connection sees
 * strictly increasing seqs, and a subscribe never misses one that was pushed while it was pending.
 */
import type { ConnectionUsers } from '../../ports/connection-users.js';
import type { NotificationReader } from '../../ports/notifications.js';
import { ME_TOPIC, meTopic, notificationMessage } from '../model.js';
import type { ConnectionRegistry, PostOutcome } from '../ports.js';
import type { ServerMessage } from '../protocol.js';

type MeMessage = ServerMessage;

export interface SubscribeMeDeps {
  registry: ConnectionRegistry;
  users: ConnectionUsers;
  notifications: Pick<NotificationReader, 'latestSeq' | 'list'>;
  send: (message: MeMessage) => Promise<PostOutcome>;
  maxTopics: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a pending subscription is skipped by waves at most. */
  pendingMs?: number;
  /** How long a subscribe waits for a wave that was sending when it arrived. */
  waveWaitMs?: number;
}

const CATCH_UP_ROUNDS = 3;
const CATCH_UP_PAGE = 100;

const unauthorized = (): MeMessage => ({
  type: 'error',
  code: 'unauthorized',
  message: '"me" needs a connection opened with a token (?token=<JWT>)',
  topic: ME_TOPIC,
});

export async function subscribeMe(
  deps: SubscribeMeDeps,
  connectionId: string,
  expiresAt: number,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const pendingMs = deps.pendingMs ?? 10_000;
  const userId = await deps.users.userOf(connectionId);
  if (userId === null) {
    await deps.send(unauthorized());
    return;
  }
  const topic = meTopic(userId);
  const added = await deps.registry.addTopic(connectionId, topic, deps.maxTopics, expiresAt);
  if (added === 'limit') {
    await deps.send({
      type: 'error',
      code: 'too_many_topics',
      message: `a connection may watch at most ${deps.maxTopics} topics; unsubscribe from one first`,
      topic: ME_TOPIC,
    });
    return;
  }
  const wave = await deps.registry.register(topic, connectionId, expiresAt, now() + pendingMs);
  if (wave !== null) {
    const deadline = now() + (deps.waveWaitMs ?? 5_000);
    for (let poll = 0; now() < deadline && (await deps.registry.leaseHolder(topic)) === wave; poll++) {
      await sleep(Math.min(100, 5 * 2 ** poll));
    }
  }
  let sentSeq = await deps.notifications.latestSeq(userId);
  if ((await deps.send({ type: 'subscribed', topic: ME_TOPIC, seq: sentSeq })) === 'gone') return;
  for (let round = 1; ; round++) {
    const force = round > CATCH_UP_ROUNDS;
    const activated = await deps.registry.activate(topic, connectionId, sentSeq, now() + pendingMs, force);
    if (activated.status !== 'behind' || force) return;
    // A wave pushed a newer notification while this subscription was pending (it skipped this
    // connection): send what came after the floor from the list, in order, then activate again.
    const page = await deps.notifications.list(userId, sentSeq, CATCH_UP_PAGE);
    if (page.notifications.length === 0) {
      await deps.registry.activate(topic, connectionId, sentSeq, now(), true);
      return;
    }
    for (const notification of page.notifications) {
      if ((await deps.send(notificationMessage(notification))) === 'gone') return;
      sentSeq = notification.seq;
    }
  }
}

/** `unsubscribe me`: idempotent, like a topic's. Anonymous: unauthorized, as the subscribe. */
export async function unsubscribeMe(
  deps: Pick<SubscribeMeDeps, 'registry' | 'users' | 'send'>,
  connectionId: string,
): Promise<void> {
  const userId = await deps.users.userOf(connectionId);
  if (userId === null) {
    await deps.send(unauthorized());
    return;
  }
  const topic = meTopic(userId);
  await deps.registry.leave(topic, [connectionId]);
  await deps.registry.removeTopic(connectionId, topic);
  await deps.send({ type: 'unsubscribed', topic: ME_TOPIC });
}
