// Node module hooks: `import source from './x.lua'` yields the file's text, as esbuild's text loader
// does in the Lambda bundles. Registered by scripts/register-lua.mjs for tools run with tsx.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.lua')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
