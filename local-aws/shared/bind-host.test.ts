import { describe, expect, it } from 'vitest';
import { isLoopbackHost, refuseBindHost } from './bind-host.js';

describe('bind host', () => {
  it('takes loopback names only as loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '',
      '10.0.0.5',
      '127.0.0.256',
      '128.0.0.1',
      'localhost.evil',
      '::ffff:1',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses a host beyond loopback unless remote binding was asked for', () => {
    expect(refuseBindHost('127.0.0.1', false)).toBeUndefined();
    expect(refuseBindHost('0.0.0.0', false)).toMatch(/not a loopback address.*--allow-remote/);
    expect(refuseBindHost('0.0.0.0', true)).toBeUndefined();
  });
});
