import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SECRET_NAMES = ['JWT_SECRET', 'WEBHOOK_SECRET'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export interface LocalSecrets {
  values: Record<SecretName, string>;
  /** Where each value came from: the environment, the secrets file, or generated just now. */
  sources: Record<SecretName, 'environment' | 'file' | 'generated'>;
  file: string;
}

export function secretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

/**
 * JWT_SECRET and WEBHOOK_SECRET for local use: taken from the environment when set, else from
 * `.local-data/secrets.json`, else generated and written there (mode 600), so tokens printed by
 * `npm run seed` stay valid across restarts.
 */
export function loadLocalSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets {
  const file = secretsFile(dataDir);
  const stored: Partial<Record<SecretName, string>> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<SecretName, string>>)
    : {};
  const values = {} as Record<SecretName, string>;
  const sources = {} as LocalSecrets['sources'];
  let changed = false;
  for (const name of SECRET_NAMES) {
    const fromEnv = env[name];
    if (fromEnv) {
      values[name] = fromEnv;
      sources[name] = 'environment';
    } else if (stored[name]) {
      values[name] = stored[name];
      sources[name] = 'file';
    } else {
      values[name] = randomBytes(32).toString('base64url');
      stored[name] = values[name];
      sources[name] = 'generated';
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return { values, sources, file };
}
