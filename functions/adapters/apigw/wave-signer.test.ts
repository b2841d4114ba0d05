import aws4 from 'aws4';
import { describe, expect, it } from 'vitest';
import { WaveSigner } from './wave-signer.js';

const lower = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));

/** aws4's headers for the same request at the same second: the reference this signer must equal. */
function byAws4(
  request: { host: string; path: string; payloadHash: string; contentLength: number },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  amzDate: string,
) {
  const signed = aws4.sign(
    {
      host: request.host,
      path: request.path,
      method: 'POST',
      service: 'execute-api',
      region: 'eu-west-1',
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(request.contentLength),
        'X-Amz-Content-Sha256': request.payloadHash,
        'X-Amz-Date': amzDate,
      },
    },
    credentials,
  );
  return lower(signed.headers as Record<string, unknown>);
}

describe('WaveSigner', () => {
  const ids = ['abcDEF123=', 'a+b/c=', 'Zm9v_-.~', "it's(*)!", 'Ünïcode-id'];
  const hosts = ['abc123.execute-api.eu-west-1.amazonaws.com', '127.0.0.1:3001'];
  const credentialSets = [
    { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    {
      accessKeyId: 'ASIATEMP',
      secretAccessKey: 'secret/with+chars',
      sessionToken: 'IQoJb3JpZ2luX2VjE...token==',
    },
  ];

  it('makes exactly the headers aws4 makes, for every path, host and kind of credentials', () => {
    const signer = new WaveSigner('eu-west-1');
    const now = Date.UTC(2026, 11, 1, 23, 59, 58, 321);
    for (const host of hosts)
      for (const credentials of credentialSets)
        for (const id of ids)
          for (const base of ['', '/prod']) {
            const request = {
              host,
              path: `${base}/@connections/${encodeURIComponent(id)}`,
              contentType: 'application/octet-stream',
              contentLength: 417,
              payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
            };
            const mine = signer.sign(request, credentials, now);
            expect(mine).toEqual(byAws4(request, credentials, '20261201T235958Z'));
          }
  });

  it('signs an AWS JSON protocol call (SQS) with its x-amz-target exactly as aws4 does', () => {
    const signer = new WaveSigner('eu-west-1', 'sqs');
    const now = Date.UTC(2026, 11, 7, 1, 2, 3, 400);
    for (const credentials of credentialSets) {
      const request = {
        host: 'sqs.eu-west-1.amazonaws.com',
        path: '/',
        contentType: 'application/x-amz-json-1.0',
        contentLength: 123,
        payloadHash: 'cd'.repeat(32),
        target: 'AmazonSQS.SendMessageBatch',
      };
      const reference = aws4.sign(
        {
          host: request.host,
          path: '/',
          method: 'POST',
          service: 'sqs',
          region: 'eu-west-1',
          headers: {
            'Content-Type': request.contentType,
            'Content-Length': String(request.contentLength),
            'X-Amz-Content-Sha256': request.payloadHash,
            'X-Amz-Date': '20261207T010203Z',
            'X-Amz-Target': request.target,
          },
        },
        credentials,
      );
      expect(signer.sign(request, credentials, now)).toEqual(
        lower(reference.headers as Record<string, unknown>),
      );
    }
  });

  it('changes the timestamp every second and the key at midnight', () => {
    const signer = new WaveSigner('eu-west-1');
    const credentials = credentialSets[0] as (typeof credentialSets)[0];
    const request = {
      host: hosts[0] as string,
      path: '/prod/@connections/x%3D',
      contentType: 'application/octet-stream',
      contentLength: 2,
      payloadHash: 'ab'.repeat(32),
    };
    const before = signer.sign(request, credentials, Date.UTC(2026, 11, 1, 23, 59, 59, 999));
    const after = signer.sign(request, credentials, Date.UTC(2026, 11, 2, 0, 0, 0, 0));
    expect(before['x-amz-date']).toBe('20261201T235959Z');
    expect(after['x-amz-date']).toBe('20261202T000000Z');
    expect(after).toEqual(byAws4(request, credentials, '20261202T000000Z'));
    expect(before.authorization).not.toBe(after.authorization);
  });
});
