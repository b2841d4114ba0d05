import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { AppError, InvalidRequestError } from '../domain/errors.js';

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9_-]{1,64}$');

/** Money: integer minor units, > 0, a safe integer. */
export const moneySchema = z
  .number()
  .int('must be an integer (minor units)')
  .positive()
  .max(Number.MAX_SAFE_INTEGER);

export const isoTimeSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .transform((value) => Date.parse(value));

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
