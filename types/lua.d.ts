// Lua scripts are imported as text: esbuild's `text` loader in bundles, a small Vite plugin in tests.
declare module '*.lua' {
  const source: string;
  export default source;
}
