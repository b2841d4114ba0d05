/**
 * The auction room (`/auctions/{id}?as=USER`, API.md "Demo app"): live price, leader, a countdown
 * that follows anti-sniping extensions, the bid box and the bid history. Every state it shows is
 * newer than the one before (by `seq`), whether it came from a bid answer, the WebSocket or the
 * client's catch-up through `/events`.
 */
import type { Auction, Bid } from '../../../functions/api/schemas.js';
import { type ConnectionState, messageArea, namePicker, pageHeader, showConnection } from '../ui/chrome.js';
import { fill, h } from '../ui/dom.js';
import { clock, countdown, money } from '../ui/format.js';

/** One state of the auction: from a bid answer, a live message or a caught-up event. */
export interface AuctionUpdate {
  seq: number;
  auction: Auction;
  bid?: Bid | undefined;
  /** snapshot, live, catch-up (the client's) or answer (this page's own bid). */
  source: string;
}

export interface BidAnswer {
  bid: Bid;
  auction: Auction;
  outbid?: true | undefined;
  maxRaised?: true | undefined;
}

/** What the room needs from the client (wired in main.ts). */
export interface RoomDeps {
  user: string | undefined;
  getAuction: (id: string) => Promise<Auction>;
  recentBids: (id: string) => Promise<Bid[]>;
  placeBid: (id: string, amount: number, maxAmount: number | undefined) => Promise<BidAnswer>;
  /** Buy It Now (API.md v1.2): closes the auction for this user at its buyNowPrice. */
  buyNow: (id: string) => Promise<Auction>;
  /** Why a request failed, in words for the bidder. */
  explain: (error: unknown) => string;
  /** Live updates of the auction; returns the unsubscribe. */
  watch: (
    id: string,
    onUpdate: (update: AuctionUpdate) => void,
    onConnection: (state: ConnectionState) => void,
  ) => () => void;
}

const HISTORY_SHOWN = 50;

export async function auctionRoom(root: HTMLElement, id: string, deps: RoomDeps): Promise<void> {
  const header = pageHeader(deps.user);
  const title = h('h1', {}, 'Auction');
  const status = h('span', { class: 'badge', 'data-testid': 'status' });
  const seller = h('span', { class: 'hint' });
  const price = h('span', { 'data-testid': 'current-price' }, '…');
  const priceHint = h('div', { class: 'hint' });
  const leader = h('span', { 'data-testid': 'leader' }, '…');
  const leaderHint = h('div', { class: 'hint' });
  const endsAt = h('time', { 'data-testid': 'ends-at' }, '…');
  const endsHint = h('div', { class: 'hint', 'data-testid': 'extensions' });
  const bidCount = h('span', { 'data-testid': 'bid-count' }, '…');
  const amountInput = h('input', {
    id: 'bid-amount',
    type: 'number',
    inputmode: 'numeric',
    step: 1,
    required: true,
    'aria-describedby': 'bid-units',
  });
  const maxInput = h('input', { id: 'bid-max', type: 'number', inputmode: 'numeric', step: 1 });
  const placeButton = h('button', { type: 'submit' }, 'Place bid');
  const units = h('p', { class: 'hint', id: 'bid-units' });
  const message = messageArea('bid-message');
  const buyNowPrice = h('span', { 'data-testid': 'buy-now-price' });
  const buyNowButton = h('button', { type: 'button', class: 'buy-now' }, 'Buy It Now');
  const buyNowCard = h(
    'div',
    { class: 'card', 'data-testid': 'buy-now', hidden: true },
    h('h2', {}, 'Buy It Now'),
    h('p', {}, 'Take it now for ', buyNowPrice, ': the auction ends at once, and you win it.'),
    deps.user ? buyNowButton : h('p', { class: 'hint' }, 'Pick a name above to buy.'),
  );
  const history = h('ol', { class: 'history', 'data-testid': 'bid-history' });
  const historyEmpty = h('p', { class: 'muted' }, 'No bids yet.');
  const form = h(
    'form',
    { class: 'action', novalidate: true },
    h('label', { for: 'bid-amount' }, 'Your bid', amountInput),
    h('label', { for: 'bid-max' }, 'Your maximum (optional)', maxInput),
    placeButton,
  );
  const room = h(
    'section',
    { 'data-testid': 'auction-room' },
    h('div', { class: 'card' }, title, h('div', {}, seller, status)),
    h(
      'div',
      { class: 'card grid' },
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Current price'),
        h('div', { class: 'value' }, price),
        priceHint,
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Leader'),
        h('div', { class: 'value small' }, leader),
        leaderHint,
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Ends in'),
        h('div', { class: 'value small' }, endsAt),
        endsHint,
      ),
      h(
        'div',
        { class: 'stat' },
        h('div', { class: 'label' }, 'Bids'),
        h('div', { class: 'value small' }, bidCount),
      ),
    ),
    buyNowCard,
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Bid'),
      deps.user ? form : namePicker('Pick a name to bid'),
      units,
      message.element,
    ),
    h('div', { class: 'card' }, h('h2', {}, 'Bid history'), historyEmpty, history),
  );
  fill(root, header.element, room);

  let shown: Auction | undefined;
  const bids = new Map<string, Bid>();

  const renderHistory = () => {
    const newest = [...bids.values()].sort((a, b) => b.seq - a.seq).slice(0, HISTORY_SHOWN);
    historyEmpty.hidden = newest.length > 0;
    history.replaceChildren(
      ...newest.map((bid) =>
        h(
          'li',
          {
            'data-seq': bid.seq,
            'data-bid-id': bid.id,
            class: bid.bidderId === deps.user ? 'mine' : undefined,
          },
          h('span', { class: 'amount', 'data-amount': bid.amount }, money(bid.amount)),
          h(
            'span',
            { class: 'who' },
            bid.bidderId,
            bid.proxy ? h('span', { class: 'badge' }, 'proxy') : null,
          ),
          h('time', { class: 'muted', datetime: bid.placedAt }, clock(bid.placedAt)),
        ),
      ),
    );
  };

  const tick = () => {
    if (!shown) return;
    const left = Date.parse(shown.endsAt) - Date.now();
    endsAt.textContent = shown.status === 'closed' || left <= 0 ? 'ended' : countdown(left);
  };

  /** Shows a state only when it is newer than the one on the page. */
  const show = (auction: Auction) => {
    if (shown && auction.seq <= shown.seq) return;
    const priceChanged = shown?.currentPrice !== auction.currentPrice;
    shown = auction;
    room.dataset.seq = String(auction.seq);
    title.textContent = auction.title;
    const closed = auction.status === 'closed';
    status.textContent = auction.status;
    seller.textContent = `sold by ${auction.sellerId}`;
    status.className = `badge ${auction.status}`;
    price.dataset.price = auction.currentPrice === null ? '' : String(auction.currentPrice);
    price.textContent = auction.currentPrice === null ? '—' : money(auction.currentPrice);
    if (priceChanged) {
      price.classList.remove('flash');
      void price.offsetWidth; // restarts the animation
      price.classList.add('flash');
    }
    priceHint.textContent = closed
      ? auction.cancelled
        ? 'cancelled by the seller'
        : auction.finalPrice === null
          ? 'no sale'
          : `sold for ${money(auction.finalPrice)}${auction.closedBy === 'buy_now' ? ' with Buy It Now' : auction.closedBy === 'seller' ? ' (ended early by the seller)' : ''}`
      : `next bid from ${money(auction.minimumNextBid)}${auction.reserveMet ? ' · reserve met' : ''}`;
    status.dataset.closedBy = auction.closedBy ?? '';
    // Shown while available only: once false it never comes back (API.md v1.2).
    buyNowCard.hidden = !auction.buyNowAvailable;
    buyNowButton.disabled = !auction.buyNowAvailable;
    buyNowPrice.textContent = auction.buyNowPrice === null ? '' : money(auction.buyNowPrice);
    buyNowPrice.dataset.price = auction.buyNowPrice === null ? '' : String(auction.buyNowPrice);
    leader.textContent = auction.leaderId ?? 'nobody yet';
    leader.dataset.leader = auction.leaderId ?? '';
    leaderHint.textContent = closed
      ? auction.winnerId
        ? `winner: ${auction.winnerId}`
        : 'no winner'
      : auction.leaderId && auction.leaderId === deps.user
        ? 'that is you'
        : '';
    endsAt.setAttribute('datetime', auction.endsAt);
    endsHint.textContent = `at ${clock(auction.endsAt)}${auction.extensions > 0 ? ` · extended ${auction.extensions}×` : ''}`;
    endsHint.dataset.extensions = String(auction.extensions);
    bidCount.textContent = String(auction.bidCount);
    amountInput.min = String(auction.minimumNextBid);
    if (document.activeElement !== amountInput) amountInput.value = String(auction.minimumNextBid);
    units.textContent = `Amounts in cents (minor units): ${auction.minimumNextBid} = ${money(auction.minimumNextBid)}. A maximum lets the auction bid for you up to it.`;
    placeButton.disabled = closed || auction.status === 'scheduled';
    tick();
  };

  const mergeRecentBids = async () => {
    for (const bid of await deps.recentBids(id).catch(() => [] as Bid[])) bids.set(bid.id, bid);
    renderHistory();
  };

  const apply = (update: AuctionUpdate) => {
    room.dataset.lastSource = update.source;
    if (update.bid && !bids.has(update.bid.id)) {
      bids.set(update.bid.id, update.bid);
      renderHistory();
    }
    // A subscribe snapshot carries no bid: when it is ahead of the history (bids made between
    // the page's first read and its subscription), the history is read again.
    if (update.source === 'snapshot' && update.auction.bidCount > bids.size) void mergeRecentBids();
    show(update.auction);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const amount = Number(amountInput.value);
    const maxAmount = maxInput.value === '' ? undefined : Number(maxInput.value);
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      message.show('error', 'Enter your bid as a whole number of cents, e.g. 1250 for 12.50.');
      return;
    }
    if (maxAmount !== undefined && (!Number.isSafeInteger(maxAmount) || maxAmount < amount)) {
      message.show('error', 'Your maximum must be a whole number of cents, at least your bid.');
      return;
    }
    placeButton.disabled = true;
    deps
      .placeBid(id, amount, maxAmount)
      .then((answer) => {
        apply({ seq: answer.auction.seq, auction: answer.auction, bid: answer.bid, source: 'answer' });
        if (answer.maxRaised) message.show('ok', `Your maximum is now ${money(maxAmount ?? amount)}.`);
        else if (answer.outbid)
          message.show(
            'info',
            `Your bid of ${money(amount)} was recorded, but another bidder's maximum is higher: ${answer.auction.leaderId} leads at ${money(answer.auction.currentPrice ?? amount)}.`,
          );
        else message.show('ok', `Your bid of ${money(answer.bid.amount)} leads.`);
        maxInput.value = '';
      })
      .catch((error: unknown) => message.show('error', deps.explain(error)))
      .finally(() => {
        placeButton.disabled = shown?.status !== 'open';
      });
  });

  buyNowButton.addEventListener('click', () => {
    buyNowButton.disabled = true;
    deps
      .buyNow(id)
      .then((auction) => {
        apply({ seq: auction.seq, auction, source: 'answer' });
        message.show('ok', `You bought it for ${money(auction.finalPrice ?? 0)}: the auction is yours.`);
      })
      .catch((error: unknown) => {
        message.show('error', deps.explain(error));
        buyNowButton.disabled = shown?.buyNowAvailable !== true;
      });
  });

  setInterval(tick, 250);

  // Live first, so that no change between the first read and the subscription is missed; the
  // subscription's snapshot and the reads below are all filtered by seq.
  deps.watch(id, apply, (state) => showConnection(header.connection, state));
  const [auction] = await Promise.all([deps.getAuction(id), mergeRecentBids()]);
  show(auction);
}
