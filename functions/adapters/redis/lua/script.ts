import { LuaScript } from '../lua-script.js';
import { composeLua } from './compose-lua.js';
import { INCLUDES } from './includes/index.js';

/**
 * A script of this folder, composed with its includes (compose-lua.ts) and registered with
 * LuaScript, which reads the key count off the composed source unless given ('variable' for a
 * script that takes a list of keys). Each typed wrapper (`X.ts` beside `X.lua`) makes its one
 * script with this.
 */
export const luaScript = (name: string, source: string, numberOfKeys?: number | 'variable'): LuaScript =>
  new LuaScript(name, composeLua(source, INCLUDES), numberOfKeys);
