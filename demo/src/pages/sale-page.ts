/**
 * The flash sale page (`/products/{id}?as=USER`, API.md "Demo app"): units left, live; `Buy now`
 * reserves one unit; the user's orders of this product with their expiry countdown.
 */
import type { Notification, Order, Product } from '../../../functions/api/schemas.js';
import { type ConnectionState, messageArea, namePicker, pageHeader, showConnection } from '../ui/chrome.js';
import { fill, h } from '../ui/dom.js';
import { clock, countdown, money } from '../ui/format.js';

export interface SaleDeps {
  user: string | undefined;
  getProduct: (id: string) => Promise<Product>;
  /** The user's orders of this product, newest first (empty without a user). */
  myOrders: (productId: string) => Promise<Order[]>;
  getOrder: (orderId: string) => Promise<Order>;
  reserve: (productId: string) => Promise<Order>;
  cancel: (orderId: string) => Promise<Order>;
  explain: (error: unknown) => string;
  watch: (
    id: string,
    onProduct: (product: Product, source: string) => void,
    onConnection: (state: ConnectionState) => void,
  ) => () => void;
  /** The user's notifications (issue 27): an order paid, expired or cancelled shows at once. */
  onNotification?: (listener: (notification: Notification) => void) => void;
}

const saleOpen = (product: Product, now: number) =>
  Date.parse(product.saleStartsAt) <= now &&
  (product.saleEndsAt === null || now < Date.parse(product.saleEndsAt));

export async function salePage(root: HTMLElement, id: string, deps: SaleDeps): Promise<void> {
  const header = pageHeader(deps.user);
  const title = h('h1', {}, 'Flash sale');
  const status = h('span', { class: 'badge', 'data-testid': 'sale-status' });
  const price = h('span', { 'data-testid': 'price' }, '…');
  const available = h('span', { 'data-testid': 'available' }, '…');
  const availableHint = h('div', { class: 'hint' });
  const limit = h('span', {}, '…');
  const ends = h('time', { 'data-testid': 'sale-ends-at' }, '…');
  const buyButton = h('button', { type: 'button' }, 'Buy now');
  const message = messageArea('order-message');
  const orderList = h('ul', { class: 'list', 'data-testid': 'orders' });
  const noOrders = h('p', { class: 'muted' }, 'No orders yet.');
  const page = h(
    'section',
    { 'data-testid': 'sale-page' },
    h('div', { class: 'card' }, title, h('div', {}, status)),
    h(
      'div',
      { class: 'card grid' },
      h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Price'), h('div', { class: 'value' }, price)),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Units left'),
        h('div', { class: 'value' }, available),
        availableHint,
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Per person'),
        h('div', { class: 'value small' }, limit),
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Sale ends'),
        h('div', { class: 'value small' }, ends),
      ),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Buy'),
      deps.user ? buyButton : namePicker('Pick a name to buy'),
      h(
        'p',
        { class: 'hint' },
        'Buy now reserves one unit; an unpaid reservation expires and its unit returns.',
      ),
      message.element,
    ),
    h('div', { class: 'card' }, h('h2', {}, 'Your orders'), noOrders, orderList),
  );
  fill(root, header.element, page);

  let shown: Product | undefined;
  const orders = new Map<string, Order>();
  const refreshing = new Set<string>();

  const renderOrders = () => {
    const newest = [...orders.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    noOrders.hidden = newest.length > 0;
    orderList.replaceChildren(
      ...newest.map((order) => {
        const expiry = h('span', { class: 'muted', 'data-testid': 'order-expiry' });
        const cancel =
          order.status === 'reserved'
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () =>
                    deps.cancel(order.id).then(
                      (cancelled) => {
                        orders.set(cancelled.id, cancelled);
                        renderOrders();
                        message.show('ok', `Order ${cancelled.id} cancelled; its unit went back on sale.`);
                      },
                      (error: unknown) => message.show('error', deps.explain(error)),
                    ),
                },
                'Cancel',
              )
            : null;
        return h(
          'li',
          { 'data-testid': 'order', 'data-order-id': order.id, 'data-status': order.status },
          h(
            'span',
            {},
            `${order.qty} × ${money(order.amount / order.qty)} `,
            h('span', { class: 'hint' }, order.id),
          ),
          h('span', { class: 'badge', 'data-testid': 'order-status' }, order.status),
          expiry,
          cancel,
        );
      }),
    );
    tickOrders();
  };

  const tickOrders = () => {
    const now = Date.now();
    for (const item of orderList.querySelectorAll<HTMLElement>('li[data-order-id]')) {
      const order = orders.get(item.dataset.orderId ?? '');
      const expiry = item.querySelector<HTMLElement>('[data-testid=order-expiry]');
      if (!order || !expiry) continue;
      if (order.status !== 'reserved') {
        expiry.textContent = order.paidAt ? `paid at ${clock(order.paidAt)}` : '';
        continue;
      }
      const left = Date.parse(order.expiresAt) - now;
      expiry.textContent = left > 0 ? `expires in ${countdown(left)}` : 'expiring…';
      // Past its expiry: ask the API until the sweeper has returned the unit.
      if (left <= 0 && !refreshing.has(order.id)) {
        refreshing.add(order.id);
        deps
          .getOrder(order.id)
          .then((fresh) => {
            if (fresh.status !== order.status) {
              orders.set(fresh.id, fresh);
              renderOrders();
            }
          })
          .catch(() => undefined)
          .finally(() => setTimeout(() => refreshing.delete(order.id), 2_000));
      }
    }
  };

  const tick = () => {
    if (shown) {
      const now = Date.now();
      const open = saleOpen(shown, now);
      status.textContent = open ? 'on sale' : Date.parse(shown.saleStartsAt) > now ? 'not started' : 'ended';
      status.className = `badge ${open ? 'open' : 'closed'}`;
      ends.textContent = shown.saleEndsAt === null ? 'no end' : countdown(Date.parse(shown.saleEndsAt) - now);
      if (shown.saleEndsAt) ends.setAttribute('datetime', shown.saleEndsAt);
    }
    tickOrders();
  };

  const show = (product: Product) => {
    if (shown && product.seq <= shown.seq) return;
    shown = product;
    page.dataset.seq = String(product.seq);
    title.textContent = product.name;
    price.textContent = money(product.price);
    available.dataset.available = String(product.available);
    available.textContent = String(product.available);
    availableHint.textContent =
      product.available === 0 ? `sold out (of ${product.stock})` : `of ${product.stock}`;
    limit.textContent = String(product.perUserLimit);
    buyButton.disabled = product.available === 0;
    tick();
  };

  buyButton.addEventListener('click', () => {
    buyButton.disabled = true;
    deps
      .reserve(id)
      .then((order) => {
        orders.set(order.id, order);
        renderOrders();
        message.show(
          'ok',
          `Reserved: order ${order.id}, ${money(order.amount)}. Pay before ${clock(order.expiresAt)} or it expires.`,
        );
      })
      .catch((error: unknown) => message.show('error', deps.explain(error)))
      .finally(() => {
        buyButton.disabled = (shown?.available ?? 0) === 0;
      });
  });

  deps.onNotification?.((notification) => {
    if (notification.productId !== id || !notification.orderId || !notification.kind.startsWith('order.'))
      return;
    deps
      .getOrder(notification.orderId)
      .then((fresh) => {
        orders.set(fresh.id, fresh);
        renderOrders();
        if (notification.kind === 'order.paid')
          message.show('ok', `Payment received: order ${fresh.id} is paid.`);
        else if (notification.kind === 'order.expired')
          message.show('error', `Order ${fresh.id} expired unpaid; its unit went back on sale.`);
        else if (notification.kind === 'order.cancelled')
          message.show('error', `The payment for order ${fresh.id} failed; the order is cancelled.`);
      })
      .catch(() => undefined);
  });

  setInterval(tick, 250);
  deps.watch(
    id,
    (product, source) => {
      page.dataset.lastSource = source;
      show(product);
    },
    (state) => showConnection(header.connection, state),
  );
  const [product, mine] = await Promise.all([
    deps.getProduct(id),
    deps.myOrders(id).catch(() => [] as Order[]),
  ]);
  for (const order of mine) orders.set(order.id, order);
  renderOrders();
  show(product);
}
