import { type ComposedMigration, composeMigration } from '../wiring/database.js';

/**
 * The composition root of the migrate function: one connection per invocation as the schema owner
 * (a deploy runs it once; nothing is worth keeping warm).
 */
export function composeMigrate(): Promise<ComposedMigration> {
  return composeMigration();
}
