import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeLua } from './compose-lua.js';
import { INCLUDES } from './includes/index.js';

describe('composeLua', () => {
  const includes = {
    a: '-- a\nlocal a = 1\n',
    b: '-- @include a\nlocal b = a + 1',
    loop: '-- @include loop',
  };

  it('puts an include at its line, each piece once, nested pieces at their first mention', () => {
    expect(composeLua('-- head\n-- @include b\n-- @include a\nreturn b', includes)).toBe(
      '-- head\n-- a\nlocal a = 1\nlocal b = a + 1\n\nreturn b',
    );
  });

  it('leaves a mention that is not a line of its own alone', () => {
    expect(composeLua('-- say `-- @include a` here\nreturn 1', includes)).toBe(
      '-- say `-- @include a` here\nreturn 1',
    );
  });

  it('refuses an unknown piece and a cycle', () => {
    expect(() => composeLua('-- @include nope', includes)).toThrow('Lua include not found: nope');
    expect(() => composeLua('-- @include loop', includes)).toThrow('Lua include cycle: loop -> loop');
  });

  it('every include of the folder is listed, and every script has its wrapper beside it', () => {
    const folder = import.meta.dirname;
    const pieces = readdirSync(join(folder, 'includes')).filter((name) => name.endsWith('.lua'));
    expect(Object.keys(INCLUDES).sort()).toEqual(pieces.map((name) => name.slice(0, -4)).sort());
    for (const owner of ['auction', 'flash-sale', 'realtime', 'requests']) {
      const files = readdirSync(join(folder, owner));
      for (const script of files.filter((name) => name.endsWith('.lua'))) {
        expect(files, `${owner}/${script}`).toContain(script.replace(/\.lua$/, '.ts'));
      }
    }
  });
});
