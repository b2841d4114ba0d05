/**
 * The seller's view of an auction (`/auctions/{id}/seller?as=USER`, API.md v1.2 "Auction house"):
 * where the bidding stands, live, and the seller's two controls: End now (closed at once, the
 * winner as at endsAt) and Cancel with a reason (closed, no winner). The demo server signs the page's
 * user a seller (admin) token; the API itself decides that only the auction's seller may use them.
 */
import type { Auction } from '../../../functions/api/schemas.js';
import { type ConnectionState, messageArea, namePicker, pageHeader, showConnection } from '../ui/chrome.js';
import { fill, h } from '../ui/dom.js';
import { clock, money } from '../ui/format.js';

/** What the seller view needs from the client (wired in main.ts). */
export interface SellerDeps {
  user: string | undefined;
  getAuction: (id: string) => Promise<Auction>;
  end: (id: string) => Promise<Auction>;
  cancel: (id: string, reason: string) => Promise<Auction>;
  explain: (error: unknown) => string;
  watch: (
    id: string,
    onAuction: (auction: Auction) => void,
    onConnection: (state: ConnectionState) => void,
  ) => () => void;
}

/** How a closed auction closed, in words. */
export function closedText(auction: Auction): string {
  if (auction.status !== 'closed') return '';
  if (auction.cancelled) return 'cancelled by the seller';
  const how =
    auction.closedBy === 'buy_now'
      ? 'bought with Buy It Now'
      : auction.closedBy === 'seller'
        ? 'ended by the seller'
        : 'ended';
  return auction.winnerId === null
    ? `${how}, no winner`
    : `${how}: ${auction.winnerId} wins at ${money(auction.finalPrice ?? 0)}`;
}

export async function sellerView(root: HTMLElement, id: string, deps: SellerDeps): Promise<void> {
  const header = pageHeader(deps.user);
  const title = h('h1', {}, 'Seller view');
  const status = h('span', { class: 'badge', 'data-testid': 'status' });
  const outcome = h('p', { 'data-testid': 'outcome' });
  const price = h('span', { 'data-testid': 'current-price' }, '…');
  const leader = h('span', { 'data-testid': 'leader' }, '…');
  const bidCount = h('span', { 'data-testid': 'bid-count' }, '…');
  const endsAt = h('time', { 'data-testid': 'ends-at' }, '…');
  const buyNow = h('span', { 'data-testid': 'buy-now' }, '…');
  const endButton = h('button', { type: 'button' }, 'End now');
  const reasonInput = h('input', { id: 'cancel-reason', type: 'text', maxlength: 500, required: true });
  const cancelButton = h('button', { type: 'submit', class: 'danger' }, 'Cancel auction');
  const message = messageArea('seller-message');
  const cancelForm = h(
    'form',
    { class: 'action', novalidate: true },
    h('label', { for: 'cancel-reason' }, 'Reason', reasonInput),
    cancelButton,
  );
  const controls = h(
    'div',
    { class: 'card', 'data-testid': 'seller-controls' },
    h('h2', {}, 'Controls'),
    h('p', { class: 'hint' }, 'End now closes the auction at once: the leader wins if the reserve is met.'),
    endButton,
    cancelForm,
    message.element,
  );
  const view = h(
    'section',
    { 'data-testid': 'seller-view' },
    h('div', { class: 'card' }, title, h('div', {}, status), outcome),
    h(
      'div',
      { class: 'card grid' },
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Current price'),
        h('div', { class: 'value' }, price),
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Leader'),
        h('div', { class: 'value small' }, leader),
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Bids'),
        h('div', { class: 'value small' }, bidCount),
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Ends'),
        h('div', { class: 'value small' }, endsAt),
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Buy It Now'),
        h('div', { class: 'value small' }, buyNow),
      ),
    ),
    deps.user ? controls : namePicker('Pick the seller name'),
  );
  fill(root, header.element, view);

  let shown: Auction | undefined;
  const show = (auction: Auction) => {
    if (shown && auction.seq <= shown.seq) return;
    shown = auction;
    view.dataset.seq = String(auction.seq);
    title.textContent = `Seller view: ${auction.title}`;
    status.textContent = auction.status;
    status.className = `badge ${auction.status}`;
    status.dataset.closedBy = auction.closedBy ?? '';
    status.dataset.cancelled = String(auction.cancelled);
    outcome.textContent = closedText(auction);
    price.dataset.price = auction.currentPrice === null ? '' : String(auction.currentPrice);
    price.textContent = auction.currentPrice === null ? '—' : money(auction.currentPrice);
    leader.textContent = auction.leaderId ?? 'nobody yet';
    bidCount.textContent = String(auction.bidCount);
    endsAt.setAttribute('datetime', auction.endsAt);
    endsAt.textContent = clock(auction.endsAt);
    buyNow.textContent =
      auction.buyNowPrice === null
        ? 'none'
        : `${money(auction.buyNowPrice)}${auction.buyNowAvailable ? ' (available)' : ' (no longer available)'}`;
    const closed = auction.status === 'closed';
    endButton.disabled = closed;
    cancelButton.disabled = closed;
    reasonInput.disabled = closed;
    if (deps.user && auction.sellerId !== deps.user && !closed)
      message.show('info', `This auction is sold by ${auction.sellerId}: only they can end or cancel it.`);
  };

  const act = (button: HTMLButtonElement, call: () => Promise<Auction>, done: string) => {
    button.disabled = true;
    call()
      .then((auction) => {
        show(auction);
        message.show('ok', done);
      })
      .catch((error: unknown) => {
        message.show('error', deps.explain(error));
        button.disabled = shown?.status === 'closed';
      });
  };
  endButton.addEventListener('click', () => act(endButton, () => deps.end(id), 'The auction is ended.'));
  cancelForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const reason = reasonInput.value.trim();
    if (reason === '') {
      message.show('error', 'Give a reason for the bidders (1-500 characters).');
      return;
    }
    act(cancelButton, () => deps.cancel(id, reason), 'The auction is cancelled.');
  });

  deps.watch(id, show, (state) => showConnection(header.connection, state));
  show(await deps.getAuction(id));
}
