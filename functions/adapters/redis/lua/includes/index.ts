import type { LuaIncludes } from '../compose-lua.js';
import clock from './clock.lua';
import fixedWindow from './fixed-window.lua';
import hash from './hash.lua';
import int from './int.lua';
import product from './product.lua';
import rerun from './rerun.lua';
import storedDecision from './stored-decision.lua';

/** Every shared piece a script can name (`-- @include NAME`), by its file's base name. */
export const INCLUDES: LuaIncludes = {
  clock,
  'fixed-window': fixedWindow,
  hash,
  int,
  product,
  rerun,
  'stored-decision': storedDecision,
};
