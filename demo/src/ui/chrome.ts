import { asUser, USER_NAME } from '../session.js';
import { h } from './dom.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** The page header: home link, the demo user, and the live connection's state when there is one. */
export function pageHeader(user: string | undefined): { element: HTMLElement; connection: HTMLElement } {
  const connection = h('span', { class: 'badge', 'data-testid': 'connection', hidden: true });
  const who = h('span', { class: 'who' }, user ? `you are ${user}` : 'watching anonymously', connection);
  const element = h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: asUser('/', user) }, 'live-sale demo'),
    who,
  );
  return { element, connection };
}

export function showConnection(badge: HTMLElement, state: ConnectionState): void {
  badge.hidden = false;
  badge.className = `badge ${state === 'live' ? 'live' : 'offline'}`;
  badge.dataset.state = state;
  badge.textContent = state === 'live' ? 'live' : state;
}

/** A form that reloads the page as the given user (`?as=NAME`). */
export function namePicker(prompt: string): HTMLFormElement {
  const input = h('input', {
    type: 'text',
    name: 'as',
    required: true,
    pattern: USER_NAME.source.slice(1, -1),
    maxlength: 32,
    placeholder: 'alice',
    autocomplete: 'nickname',
  });
  return h(
    'form',
    { class: 'action card', method: 'get' },
    h('label', {}, prompt, input),
    h('button', { type: 'submit' }, 'Continue'),
    h('p', { class: 'hint' }, 'Any name: letters, digits, _ or -. The demo server signs a token for it.'),
  );
}

export type Tone = 'error' | 'ok' | 'info';

/** One message area per form: `role=alert` for refusals, `role=status` otherwise. */
export function messageArea(testId: string): {
  element: HTMLElement;
  show: (tone: Tone, text: string) => void;
} {
  const element = h('div', { 'data-testid': testId, hidden: true });
  return {
    element,
    show: (tone, text) => {
      element.hidden = false;
      element.className = `message ${tone}`;
      element.setAttribute('role', tone === 'error' ? 'alert' : 'status');
      element.dataset.tone = tone;
      element.textContent = text;
    },
  };
}
