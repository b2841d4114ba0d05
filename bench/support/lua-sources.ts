import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const HELPERS = '\n--#helpers\n';

/**
 * A product script as product-script.ts puts it together: the prelude's helpers at the script's
 * `--#helpers` line, else right after the prelude's head (a prelude without the marker: all first).
 */
export function productSource(prelude: string, source: string): string {
  if (!prelude.includes(HELPERS)) return `${prelude}\n${source}`;
  const [head, helpers] = prelude.split(HELPERS) as [string, string];
  return source.includes(HELPERS)
    ? `${head}\n${source.replace(HELPERS, `\n${helpers}\n`)}`
    : `${head}\n${helpers}\n${source}`;
}

const DIR = 'functions/adapters/redis/scripts';

/** The SHA1 (EVALSHA's name) of the working tree's place-bid and reserve-order scripts. */
export function deciderShas(): { placeBid: string; reserveOrder: string } {
  const read = (file: string) => readFileSync(`${DIR}/${file}`, 'utf8');
  const sha = (source: string) => createHash('sha1').update(source).digest('hex');
  return {
    placeBid: sha(read('place-bid.lua')),
    reserveOrder: sha(productSource(read('product-prelude.lua'), read('reserve-order.lua'))),
  };
}
