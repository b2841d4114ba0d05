/**
 * The one way a Lua script is put together from its file and the shared pieces of `includes/`
 * (BullMQ's layout): a line `-- @include NAME` stands for the text of `includes/NAME.lua`. An
 * include may name others; each piece goes in once per script, at its first mention (a later
 * mention is dropped), so a script may list a piece that another of its pieces names too.
 *
 * Pure (no `.lua` imports), so tools run with plain tsx (the benches, through
 * bench/support/lua-sources.ts) compose exactly what the functions run: they pass the texts they
 * read themselves; the functions pass the imported ones (./includes/index.ts).
 */
const INCLUDE = /^-- @include ([a-z0-9-]+)[ \t]*$/gm;

export type LuaIncludes = Readonly<Record<string, string>>;

export function composeLua(source: string, includes: LuaIncludes): string {
  const done = new Set<string>();
  const expand = (text: string, trail: readonly string[]): string =>
    text.replace(INCLUDE, (_line, name: string) => {
      if (trail.includes(name)) throw new Error(`Lua include cycle: ${[...trail, name].join(' -> ')}`);
      if (done.has(name)) return '';
      const piece = includes[name];
      if (piece === undefined) throw new Error(`Lua include not found: ${name}`);
      done.add(name);
      return expand(piece.replace(/\n$/, ''), [...trail, name]);
    });
  return expand(source, []);
}
