/**
 * The home page (`/`): open auctions and active flash sales from the browse routes (the
 * PostgreSQL read model, so a new item shows once the writer stored it), each a link to its page.
 */
import type { Auction, Product } from '../../../functions/api/schemas.js';
import { asUser } from '../session.js';
import { namePicker, pageHeader } from '../ui/chrome.js';
import { fill, h } from '../ui/dom.js';
import { countdown, money } from '../ui/format.js';

export interface HomeDeps {
  user: string | undefined;
  openAuctions: () => Promise<Auction[]>;
  activeProducts: () => Promise<Product[]>;
  explain: (error: unknown) => string;
}

const REFRESH_MS = 5_000;

export async function homePage(root: HTMLElement, deps: HomeDeps): Promise<void> {
  const auctions = h('ul', { class: 'list', 'data-testid': 'open-auctions' });
  const products = h('ul', { class: 'list', 'data-testid': 'active-sales' });
  const problem = h('p', { class: 'message error', role: 'alert', hidden: true });
  fill(
    root,
    pageHeader(deps.user).element,
    deps.user ? null : namePicker('Your name'),
    problem,
    h('div', { class: 'card' }, h('h2', {}, 'Open auctions'), auctions),
    h('div', { class: 'card' }, h('h2', {}, 'Flash sales on now'), products),
    h(
      'p',
      { class: 'hint' },
      'Nothing listed? `npm run seed` creates demo auctions and products. Lists refresh every 5 s.',
    ),
  );

  const empty = (text: string) => h('li', { class: 'muted' }, text);
  const load = async () => {
    try {
      const [open, active] = await Promise.all([deps.openAuctions(), deps.activeProducts()]);
      problem.hidden = true;
      auctions.replaceChildren(
        ...(open.length === 0
          ? [empty('No open auction.')]
          : open.map((auction) =>
              h(
                'li',
                { 'data-auction-id': auction.id },
                h(
                  'a',
                  { href: asUser(`/auctions/${encodeURIComponent(auction.id)}`, deps.user) },
                  auction.title,
                ),
                h(
                  'span',
                  { class: 'muted' },
                  auction.currentPrice === null
                    ? `from ${money(auction.startingPrice)}`
                    : `${money(auction.currentPrice)} · ${auction.bidCount} bid(s)`,
                  ` · ends in ${countdown(Date.parse(auction.endsAt) - Date.now())}`,
                ),
              ),
            )),
      );
      products.replaceChildren(
        ...(active.length === 0
          ? [empty('No sale on now.')]
          : active.map((product) =>
              h(
                'li',
                { 'data-product-id': product.id },
                h(
                  'a',
                  { href: asUser(`/products/${encodeURIComponent(product.id)}`, deps.user) },
                  product.name,
                ),
                h(
                  'span',
                  { class: 'muted' },
                  `${money(product.price)} · ${product.available} of ${product.stock} left`,
                ),
              ),
            )),
      );
    } catch (error) {
      problem.hidden = false;
      problem.textContent = deps.explain(error);
    }
  };
  await load();
  setInterval(() => void load(), REFRESH_MS);
}
