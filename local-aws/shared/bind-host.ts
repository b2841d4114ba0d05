/**
 * Where the local runtime may listen. Its management API takes fixed, published credentials and the
 * demo mints tokens for any name: both are safe only on loopback, so an address beyond it needs an
 * explicit `--allow-remote` (or `LOCAL_ALLOW_REMOTE=true`, for containers).
 */

/** `localhost`, `127.0.0.0/8` and `::1` (bracketed or not): the names of this machine only. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets?.slice(1).every((octet) => Number(octet) <= 255) ?? false;
}

/** Why `host` may not be bound, or undefined when it may. */
export function refuseBindHost(host: string, allowRemote: boolean): string | undefined {
  if (allowRemote || isLoopbackHost(host)) return undefined;
  return (
    `LOCAL_HOST=${host} is not a loopback address: it would expose the management API (fixed local ` +
    "credentials) and the demo's token minting to the network. Run with `npm run local -- --allow-remote` " +
    '(or LOCAL_ALLOW_REMOTE=true) to bind it anyway, e.g. in a container.'
  );
}
