/**
 * Progress lines of the local runtime: `[local] <component> <message>` for people, or one JSON
 * object per line with `LOCAL_LOG_FORMAT=json` (for tools). The handlers' own Powertools logs are
 * JSON lines on the same stdout.
 */
export type Fields = Record<string, string | number | boolean | undefined>;

const json = process.env.LOCAL_LOG_FORMAT === 'json';

function write(
  stream: NodeJS.WriteStream,
  level: string,
  component: string,
  message: string,
  fields?: Fields,
) {
  if (json) {
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, component, message, ...fields })}\n`,
    );
    return;
  }
  const extra = fields
    ? Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${value}`)
        .join('')
    : '';
  stream.write(`[local] ${component.padEnd(9)} ${message}${extra}\n`);
}

export const log = {
  info: (component: string, message: string, fields?: Fields) =>
    write(process.stdout, 'info', component, message, fields),
  warn: (component: string, message: string, fields?: Fields) =>
    write(process.stderr, 'warn', component, message, fields),
  error: (component: string, message: string, fields?: Fields) =>
    write(process.stderr, 'error', component, message, fields),
};

/** A failure the user can fix; printed as one clear line, without a stack trace. */
export class LocalRuntimeError extends Error {
  override name = 'LocalRuntimeError';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
