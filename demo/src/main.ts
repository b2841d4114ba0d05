/**
 * The demo app's entry: one bundle for the three pages, routed by path. Every call to the APIs
 * goes through the project's client (client/): REST with its retries, live state through its
 * subscription object (reconnect, resubscribe, catch-up through /events).
 */
import './styles.css';
import {
  type Client,
  createClient,
  type Live,
  type LiveStatus,
  type Notification,
} from '../../client/src/index.js';
import { readConfig } from './config.js';
import { explain } from './messages.js';
import { auctionRoom } from './pages/auction-room.js';
import { homePage } from './pages/home-page.js';
import { salePage } from './pages/sale-page.js';
import { sellerView } from './pages/seller-view.js';
import { asUser, startSession, userFromUrl } from './session.js';
import type { ConnectionState } from './ui/chrome.js';
import { fill, h } from './ui/dom.js';
import { notificationText, toastStack } from './ui/toasts.js';

const connectionState = (status: LiveStatus): ConnectionState =>
  status === 'open' ? 'live' : status === 'closed' ? 'offline' : status;

/** One WebSocket per page, made on first use, with the page's status badge following it. */
function liveOf(client: Client): (onConnection: (state: ConnectionState) => void) => Live {
  let live: Live | undefined;
  return (onConnection) => {
    live ??= client.connect();
    const current = live;
    current.onStatus((status) => onConnection(connectionState(status)));
    onConnection(connectionState(current.status));
    return current;
  };
}

async function main(root: HTMLElement): Promise<void> {
  const config = readConfig();
  const user = userFromUrl();
  const path = location.pathname;
  const match = /^\/(auctions|products)\/([^/]+)(\/seller)?$/.exec(path);
  const id = match ? decodeURIComponent(match[2] as string) : '';
  const seller = match?.[1] === 'auctions' && match[3] !== undefined;
  const session = user ? await startSession(user, { seller }) : undefined;
  const client = createClient({ baseUrl: config.httpUrl, wsUrl: config.wsUrl, token: session?.token });
  const live = liveOf(client);
  // A signed-in user's notifications on every page (issue 27): toasts, and the pages that show what
  // one changed (the sale page's orders) listen too.
  const noticeListeners = new Set<(notification: Notification) => void>();
  const onNotification = (listener: (notification: Notification) => void) => noticeListeners.add(listener);
  if (user) {
    const toasts = toastStack();
    document.body.append(toasts.element);
    live(() => undefined).subscribeMe(
      (notification) => {
        toasts.show(
          notification,
          notificationText(notification, (to) => asUser(to, user)),
        );
        for (const listener of noticeListeners) listener(notification);
      },
      // The stack says once the server has the subscription: from then on nothing is missed.
      { onSubscribed: (seq) => toasts.element.setAttribute('data-me-seq', String(seq)) },
    );
  }

  if (seller) {
    document.title = `Seller view ${id} · live-sale demo`;
    await sellerView(root, id, {
      user,
      getAuction: (auctionId) => client.getAuction(auctionId),
      end: (auctionId) => client.endAuction(auctionId),
      cancel: (auctionId, reason) => client.cancelAuction(auctionId, { reason }),
      explain,
      watch: (auctionId, onAuction, onConnection) =>
        live(onConnection).subscribeAuction(auctionId, (update) => onAuction(update.auction)),
    });
  } else if (match?.[1] === 'auctions') {
    document.title = `Auction ${id} · live-sale demo`;
    await auctionRoom(root, id, {
      user,
      getAuction: (auctionId) => client.getAuction(auctionId),
      recentBids: (auctionId) => client.listBids(auctionId, { limit: 50 }),
      placeBid: (auctionId, amount, maxAmount) =>
        client.placeBid(auctionId, maxAmount === undefined ? { amount } : { amount, maxAmount }),
      buyNow: (auctionId) => client.buyNow(auctionId),
      explain,
      watch: (auctionId, onUpdate, onConnection) =>
        live(onConnection).subscribeAuction(auctionId, (update) =>
          onUpdate({
            seq: update.seq,
            auction: update.auction,
            bid: update.lastBid ?? undefined,
            source: update.source,
          }),
        ),
    });
  } else if (match?.[1] === 'products') {
    document.title = `Flash sale ${id} · live-sale demo`;
    await salePage(root, id, {
      user,
      getProduct: (productId) => client.getProduct(productId),
      myOrders: async (productId) =>
        user ? (await client.myOrders({ limit: 100 })).orders.filter((o) => o.productId === productId) : [],
      getOrder: (orderId) => client.getOrder(orderId),
      reserve: (productId) => client.reserveOrder({ productId, qty: 1 }),
      cancel: (orderId) => client.cancelOrder(orderId),
      explain,
      watch: (productId, onProduct, onConnection) =>
        live(onConnection).subscribeProduct(productId, (update) => onProduct(update.product, update.source)),
      onNotification,
    });
  } else {
    await homePage(root, {
      user,
      openAuctions: async () => (await client.listAuctions({ status: 'open', limit: 50 })).auctions,
      activeProducts: async () => (await client.listProducts({ active: true, limit: 50 })).products,
      explain,
    });
  }
}

const root = document.getElementById('app') as HTMLElement;
main(root).catch((error: unknown) => {
  // Shown, not thrown: a page that could not load says why (e.g. an auction that does not exist).
  fill(root, h('p', { class: 'message error', role: 'alert', 'data-testid': 'page-error' }, explain(error)));
});
