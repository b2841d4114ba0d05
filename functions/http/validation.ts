import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { MAX_CURSOR_LENGTH } from '../domain/cursor.js';
import { AppError, InvalidRequestError } from '../domain/errors.js';

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9_-]{1,64}$');

/** Money: integer minor units, > 0, a safe integer. */
export const moneySchema = z
  .number()
  .int('must be an integer (minor units)')
  .positive()
  .max(Number.MAX_SAFE_INTEGER);

/**
 * Characters no text field accepts: C0 controls (U+0000-U+001F: NUL, tab, newline...), DEL and the
 * C1 controls (U+007F-U+009F), i.e. Unicode category Cc. A NUL makes PostgreSQL refuse the jsonb of
 * every event of the entity (SQLSTATE 22P05), and titles and names are single-line labels.
 */
const CONTROL_CHARACTER = /\p{Cc}/u;
/** A UTF-16 surrogate not paired: no UTF-8 form, refused by Redis' cjson and by PostgreSQL. */
const LONE_SURROGATE = /\p{Cs}/u;

export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (no lone surrogates)';
export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (U+0000-U+001F, U+007F-U+009F)';

/** A free-text field (title, name): trimmed, 1..max characters, no control characters. */
export const textSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .refine((value) => !LONE_SURROGATE.test(value), WELL_FORMED_MESSAGE)
    .refine((value) => !CONTROL_CHARACTER.test(value), CONTROL_CHARACTER_MESSAGE);

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

export const isoTimeSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .transform((value) => Date.parse(value));

/** `limit` and `cursor` of every keyset-paged listing (API.md v1.1: limit 1..100, default 20). */
export const pageQueryShape = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque: decoded (and refused with 400) by the listing it belongs to. */
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
};

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

const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable characters');

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
