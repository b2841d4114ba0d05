import type { LuaIncludes } from '../compose-lua.js';
import auctionRequest from './auction-request.lua';
import clock from './clock.lua';
import closeNow from './close-now.lua';
import fixedWindow from './fixed-window.lua';
import hash from './hash.lua';
import increments from './increments.lua';
import int from './int.lua';
import product from './product.lua';
import rerun from './rerun.lua';
import storedDecision from './stored-decision.lua';

/** Every shared piece a script can name (`-- @include NAME`), by its file's base name. */
export const INCLUDES: LuaIncludes = {
  'auction-request': auctionRequest,
  clock,
  'close-now': closeNow,
  'fixed-window': fixedWindow,
  hash,
  increments,
  int,
  product,
  rerun,
  'stored-decision': storedDecision,
};
