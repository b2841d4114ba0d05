/**
 * Tiered bid increments (API.md v1.2, "Auction house"): an auction may take an increment table
 * instead of one `minIncrement`. The increment in force is the row with the largest `from` <= the
 * price; `minimumNextBid` and every proxy raise follow it. The deciding Lua scripts apply the same
 * rule (`increment_at` in the auction scripts' includes); test/house-tiers-script.test.ts runs one
 * case table against this module and against the scripts, so the two cannot drift apart.
 */

export interface IncrementRow {
  /** The price (minor units) from which this row's increment applies; the first row's is 0. */
  from: number;
  /** Minor units, > 0. */
  increment: number;
}

export type IncrementTable = readonly IncrementRow[];

/**
 * A table is read by the bid script on every bid of its auction: a bound keeps that cheap. eBay's
 * table has 10 rows.
 */
export const MAX_INCREMENT_ROWS = 32;

/**
 * eBay's bid increments (US site, in cents), as an example of a table (docs/auctions.md):
 * 0.05 under 1.00, 0.25 to 4.99, 0.50 to 24.99, 1.00 to 99.99, 2.50 to 249.99, 5.00 to 499.99,
 * 10.00 to 999.99, 25.00 to 2,499.99, 50.00 to 4,999.99, 100.00 from 5,000.00.
 */
export const EBAY_INCREMENT_TABLE: IncrementTable = [
  { from: 0, increment: 5 },
  { from: 100, increment: 25 },
  { from: 500, increment: 50 },
  { from: 2_500, increment: 100 },
  { from: 10_000, increment: 250 },
  { from: 25_000, increment: 500 },
  { from: 50_000, increment: 1_000 },
  { from: 100_000, increment: 2_500 },
  { from: 250_000, increment: 5_000 },
  { from: 500_000, increment: 10_000 },
];

/**
 * What is wrong with a table, naming the row (`incrementTable.N.field: ...`), or null when it is
 * valid: at least one row and at most MAX_INCREMENT_ROWS, the first `from` 0, `from` strictly
 * ascending, every `from` and `increment` a safe integer (> 0 but the first `from`).
 */
export function incrementTableProblem(
  table: readonly { from: unknown; increment: unknown }[],
): string | null {
  if (table.length === 0) return 'incrementTable: needs at least one row';
  if (table.length > MAX_INCREMENT_ROWS) return `incrementTable: at most ${MAX_INCREMENT_ROWS} rows`;
  let previous = -1;
  for (const [index, row] of table.entries()) {
    const at = `incrementTable.${index}`;
    const { from, increment } = row;
    if (typeof from !== 'number' || !Number.isSafeInteger(from)) return `${at}.from: must be a safe integer`;
    if (typeof increment !== 'number' || !Number.isSafeInteger(increment) || increment <= 0)
      return `${at}.increment: must be a safe integer > 0`;
    if (index === 0 && from !== 0) return `${at}.from: the first row must start at 0`;
    if (index > 0 && from <= previous)
      return `${at}.from: must be above the previous row's from (${previous})`;
    previous = from;
  }
  return null;
}

/** The increment in force at `price`: the row with the largest `from` <= price. */
export function incrementAt(table: IncrementTable, price: number): number {
  let increment = (table[0] as IncrementRow).increment;
  for (const row of table) {
    if (row.from > price) break;
    increment = row.increment;
  }
  return increment;
}

/** The largest increment of a table: what bounds the amounts an auction can take (above_ceiling). */
export function largestIncrement(table: IncrementTable): number {
  return Math.max(...table.map((row) => row.increment));
}

/**
 * The auction record's form of a table (`incrementTable` field of the `{a:ID}` hash, '' for none):
 * `from:increment` pairs joined by commas, e.g. `0:5,100:25`. Plain digits, so the Lua scripts read
 * it with one pattern and no JSON number rounding.
 */
export function formatIncrementTable(table: IncrementTable): string {
  return table.map((row) => `${row.from}:${row.increment}`).join(',');
}

export function parseIncrementTable(text: string | undefined): IncrementTable | null {
  if (text === undefined || text === '') return null;
  return text.split(',').map((pair) => {
    const [from, increment] = pair.split(':');
    return { from: Number(from), increment: Number(increment) };
  });
}
