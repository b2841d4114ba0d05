/**
 * Exits 1 with a clear message unless the running Node is on the project's one line (package.json
 * `engines.node`, written `>=MAJOR.MINOR.PATCH <NEXT`): the line Lambda runs the functions on
 * (nodejs24.x) and CI tests. Run first by `npm run local` and `.ci/run`; plain JavaScript, no
 * dependency, so it runs (and refuses) on any Node.
 */
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = engines?.node ?? '';
const bounds = /^>=(\d+)\.(\d+)\.(\d+) <(\d+)$/.exec(range);
if (!bounds) {
  console.error(`check-node: package.json engines.node "${range}" is not ">=X.Y.Z <N"`);
  process.exit(1);
}
const [min, below] = [bounds.slice(1, 4).map(Number), Number(bounds[4])];
const running = process.versions.node.split('.').map(Number);
const atLeast = (a, b) => (a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2]);
if (!atLeast(running, min) || (running[0] ?? 0) >= below) {
  console.error(
    [
      `This project needs Node ${range} (Node ${min[0]} LTS, the line Lambda runs it on); this is Node ${process.versions.node} (${process.execPath}).`,
      `Install it from the npm registry and put it first on PATH: source scripts/ensure-node.sh (or nvm install ${min[0]}).`,
    ].join('\n'),
  );
  process.exit(1);
}
