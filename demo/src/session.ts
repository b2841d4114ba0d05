/**
 * The demo user of a page: `?as=NAME` in its URL. Its token comes from the demo server
 * (`POST /token`), signed with the local JWT_SECRET, as a real identity provider would issue one.
 */
export interface Session {
  user: string;
  token: string;
}

export const USER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function userFromUrl(): string | undefined {
  const user = new URLSearchParams(location.search).get('as') ?? '';
  return USER_NAME.test(user) ? user : undefined;
}

/** `seller`: a seller's token (the admin role), for the seller view of an auction. */
export async function startSession(user: string, options: { seller?: boolean } = {}): Promise<Session> {
  const response = await fetch('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options.seller ? { user, seller: true } : { user }),
  });
  if (!response.ok) throw new Error(`the demo server refused the name ${user} (${response.status})`);
  const body = (await response.json()) as { token: string };
  return { user, token: body.token };
}

/** A link to another demo page as the same user. */
export function asUser(path: string, user: string | undefined): string {
  return user ? `${path}?as=${encodeURIComponent(user)}` : path;
}
