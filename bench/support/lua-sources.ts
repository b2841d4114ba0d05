import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { composeLua, type LuaIncludes } from '../../functions/adapters/redis/lua/compose-lua.js';

const LUA = 'functions/adapters/redis/lua';

/**
 * The Lua scripts of a revision (`ref`; none: the working tree), composed by the functions' own
 * composer (compose-lua.ts) from that revision's includes: exactly what the functions run. Read as
 * files, since the benches run with plain tsx (no `.lua` imports). A revision before the lua/
 * folder (issue 25) is not read: compare against one that has it.
 */
export function luaAt(ref?: string): { script(path: string): string } {
  const read = (path: string) =>
    ref === undefined
      ? readFileSync(`${LUA}/${path}`, 'utf8')
      : execFileSync('git', ['show', `${ref}:${LUA}/${path}`], { encoding: 'utf8' });
  const names =
    ref === undefined
      ? readdirSync(`${LUA}/includes`)
      : execFileSync('git', ['ls-tree', '--name-only', `${ref}:${LUA}/includes`], { encoding: 'utf8' }).split(
          '\n',
        );
  const includes: LuaIncludes = Object.fromEntries(
    names
      .filter((name) => name.endsWith('.lua'))
      .map((name) => [name.slice(0, -4), read(`includes/${name}`)]),
  );
  return { script: (path: string) => composeLua(read(path), includes) };
}

/** The SHA1 (EVALSHA's name) of the working tree's place-bid and reserve-order scripts. */
export function deciderShas(): { placeBid: string; reserveOrder: string } {
  const tree = luaAt();
  const sha = (source: string) => createHash('sha1').update(source).digest('hex');
  return {
    placeBid: sha(tree.script('auction/place-bid.lua')),
    reserveOrder: sha(tree.script('flash-sale/reserve-order.lua')),
  };
}
