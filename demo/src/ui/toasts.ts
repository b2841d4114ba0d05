/**
 * Personal notifications as toasts (issue 27): a stack in the corner of every page, each toast a
 * sentence for the user and, where there is something to do, a link to it. Pure text in
 * `notificationText`, so the words are tested without a browser.
 */
import type { Notification } from '../../../functions/api/schemas.js';
import { h } from './dom.js';
import { money } from './format.js';

export interface ToastText {
  text: string;
  tone: 'info' | 'ok' | 'error';
  /** Where the user can act on it (the auction room, the sale page). */
  href?: string;
}

export function notificationText(n: Notification, link: (path: string) => string): ToastText {
  const what = n.title ?? n.auctionId ?? n.productId ?? 'an item';
  const amount = n.amount === undefined ? '' : ` for ${money(n.amount)}`;
  const auction = n.auctionId ? link(`/auctions/${encodeURIComponent(n.auctionId)}`) : undefined;
  const product = n.productId ? link(`/products/${encodeURIComponent(n.productId)}`) : undefined;
  const at = (href: string | undefined) => (href ? { href } : {});
  switch (n.kind) {
    case 'outbid':
      return { text: `You've been outbid on ${what}: bid again`, tone: 'error', ...at(auction) };
    case 'auction.won':
      return { text: `You won ${what}${amount}`, tone: 'ok', ...at(auction) };
    case 'auction.lost':
      return { text: `${what} went to another bidder`, tone: 'info', ...at(auction) };
    case 'auction.sold':
      return { text: `You sold ${what}${amount}`, tone: 'ok', ...at(auction) };
    case 'auction.unsold':
      return { text: `${what} ended without a sale`, tone: 'info', ...at(auction) };
    case 'auction.cancelled':
      return { text: `${what} was cancelled by its seller`, tone: 'info', ...at(auction) };
    case 'order.paid':
      return { text: `Payment received for ${what}${amount}`, tone: 'ok', ...at(product) };
    case 'order.expired':
      return { text: `Your reservation of ${what} expired`, tone: 'error', ...at(product) };
    case 'order.cancelled':
      return {
        text: `Your payment for ${what} failed: the order is cancelled`,
        tone: 'error',
        ...at(product),
      };
    case 'order.refund_required':
      return { text: `Your payment for ${what} will be refunded`, tone: 'info', ...at(product) };
  }
}

const SHOWN_MS = 12_000;

export function toastStack(): { element: HTMLElement; show: (n: Notification, text: ToastText) => void } {
  const element = h('div', {
    class: 'toasts',
    'data-testid': 'toasts',
    role: 'status',
    'aria-live': 'polite',
  });
  return {
    element,
    show: (n, { text, tone, href }) => {
      const toast = h(
        'div',
        { class: `toast message ${tone}`, 'data-testid': 'toast', 'data-kind': n.kind, 'data-seq': n.seq },
        href ? h('a', { href }, text) : text,
      );
      element.append(toast);
      setTimeout(() => toast.remove(), SHOWN_MS);
    },
  };
}
