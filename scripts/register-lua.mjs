// Usage: tsx --import ./scripts/register-lua.mjs some-tool.ts
import { register } from 'node:module';

register('./lua-hooks.mjs', import.meta.url);
