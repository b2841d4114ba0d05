import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { z } from 'zod';
import { ID_PATTERN, idempotencyKeyHeader, LONE_SURROGATE, WELL_FORMED_MESSAGE } from '../api/schemas.js';
import { AppError, InvalidRequestError } from '../domain/errors.js';

// The schemas live in the API module (shared with the OpenAPI document and clients).
export {
  CONTROL_CHARACTER_MESSAGE,
  ID_PATTERN,
  idSchema,
  isoTimeSchema,
  moneySchema,
  pageQueryShape,
  textSchema,
  WELL_FORMED_MESSAGE,
} from '../api/schemas.js';

/**
 * Refuses a parsed JSON value holding a string (value or property name) that is not well-formed
 * UTF-16, wherever it sits, even in a field the route ignores: nothing malformed reaches a script,
 * a fingerprint or a log line. `JSON.parse` turns a `"\ud800"` escape into exactly such a string.
 */
export function refuseMalformedStrings(value: unknown, path = ''): void {
  const fail = (at: string) => {
    throw new InvalidRequestError(`${at || '(body)'}: ${WELL_FORMED_MESSAGE}`, { field: at || '(body)' });
  };
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) fail(path);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      refuseMalformedStrings(item, path ? `${path}.${index}` : String(index));
    });
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) {
      const at = path ? `${path}.${name}` : name;
      if (LONE_SURROGATE.test(name)) fail(path ? `${path}.(a property name)` : '(a property name)');
      refuseMalformedStrings(item, at);
    }
  }
}

function describeIssues(error: z.ZodError): { message: string; details: Record<string, unknown> } {
  const issues = error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(body)',
    message:
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  const first = issues[0] ?? { field: '(body)', message: 'invalid' };
  return { message: `${first.field}: ${first.message}`, details: { issues } };
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const { message, details } = describeIssues(parsed.error);
    throw new InvalidRequestError(message, details);
  }
  return parsed.data;
}

/** Query values as Hono gives them; repeated or blank parameters are input errors, not defaults. */
export function singleQuery(query: Record<string, string[]>, names: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of names) {
    const values = query[name];
    if (values === undefined) continue;
    if (values.length !== 1 || values[0] === '') {
      result[name] = 'invalid';
      continue;
    }
    result[name] = values[0] as string;
  }
  return result;
}

export function parsePathId(c: Context, name: string): string {
  const value = c.req.param(name) ?? '';
  if (!ID_PATTERN.test(value)) {
    throw new InvalidRequestError(`${name}: must match ^[A-Za-z0-9_-]{1,64}$`, { field: name });
  }
  return value;
}

/** JSON request bodies: a JSON content type (or none), valid JSON, then the schema. */
export async function parseJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const contentType = c.req.header('content-type');
  if (contentType && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new AppError(
      415,
      'unsupported_media_type',
      'the body must be JSON (Content-Type: application/json)',
    );
  }
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('the body is not valid JSON');
  }
  refuseMalformedStrings(body);
  return parseWith(schema, body);
}

const idempotencyKeySchema = idempotencyKeyHeader.shape['idempotency-key'].unwrap();

/**
 * The Idempotency-Key header with the fingerprint of the request it came with: method, path and the
 * validated body, so formatting differences do not count as a different request.
 */
export function idempotencyOf(
  c: Context,
  validatedBody: unknown,
): { key: string; fingerprint: string } | null {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return null;
  const parsed = idempotencyKeySchema.safeParse(key);
  if (!parsed.success) throw new InvalidRequestError('Idempotency-Key: must be 1-128 printable characters');
  const fingerprint = createHash('sha256')
    .update(`${c.req.method} ${c.req.path} ${JSON.stringify(validatedBody)}`)
    .digest('base64url');
  return { key: parsed.data, fingerprint };
}
