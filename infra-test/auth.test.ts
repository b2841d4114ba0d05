import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { authContextKey, parseAuth } from '../lib/config/stages.js';
import {
  environmentOf,
  resource,
  resources,
  type SynthesizedStage,
  synthesizeStage,
} from './support/synth.js';

/**
 * Sign-in with an identity provider (issue 30), switched on per stage by the context key
 * `live-sale:<stage>:auth`: synthesized through the real app (cdk-nag included: an unacknowledged
 * finding fails the synth).
 */
const ISSUER_ENV = ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_ADMIN_CLAIM', 'JWT_ADMIN_VALUE'];

const envs = (s: SynthesizedStage) => [
  environmentOf(s.api, 'HttpFunction'),
  environmentOf(s.api, 'WsFunction'),
];

describe('a Cognito user pool per stage', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthesizeStage('dev', {
      [authContextKey('dev')]: {
        cognito: { adminGroup: 'admin', callbackUrls: ['https://shop.live-sale.test/signed-in'] },
        hs256: false,
      },
    });
  });

  it('makes the pool (invitation only), a public code+PKCE client and the admin group in the data stack', () => {
    s.data.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12 }) },
    });
    s.data.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://shop.live-sale.test/signed-in'],
    });
    s.data.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    expect(Object.keys(resources(s.api, 'AWS::Cognito::UserPool'))).toHaveLength(0);
  });

  it("wires the pool's issuer, client id and group into http and ws; no HS256 secret when hs256 is off", () => {
    for (const env of envs(s)) {
      for (const name of ISSUER_ENV) expect(env).toHaveProperty(name);
      expect(env.JWT_ADMIN_CLAIM).toBe('cognito:groups');
      expect(env.JWT_ADMIN_VALUE).toBe('admin');
      expect(JSON.stringify(env.JWT_ISSUER)).toMatch(/https:\/\/cognito-idp\./);
      expect(JSON.stringify(env.JWT_ISSUER)).toMatch(/UserPool/);
      expect(JSON.stringify(env.JWT_AUDIENCE)).toMatch(/ShopClient/);
      expect(env).not.toHaveProperty('JWT_SECRET_ARN');
    }
  });

  it('lets http reach the JWKS: egress subnets and 443 out', () => {
    const http = resource(s.api, 'AWS::Lambda::Function', 'HttpFunction');
    const subnets = JSON.stringify((http.Properties.VpcConfig as { SubnetIds: unknown }).SubnetIds);
    expect(subnets).toMatch(/VpcfunctionsSubnet1/);
    const groups = JSON.stringify(resources(s.api, 'AWS::EC2::SecurityGroup'));
    expect(groups).toMatch(/http: the token issuer JWKS via NAT/);
  });
});

describe('an issuer of your choice (Auth0)', () => {
  let s: SynthesizedStage;
  beforeAll(() => {
    s = synthesizeStage('dev', {
      [authContextKey('dev')]: JSON.stringify({
        issuer: 'https://live-sale.eu.auth0.com/',
        audience: 'https://api.live-sale.test',
        adminClaim: 'https://live-sale.test/roles',
        adminValue: 'admin',
        hs256: true,
      }),
    });
  });

  it('sets the issuer variables as given, keeps HS256 when asked, makes no user pool', () => {
    for (const env of envs(s)) {
      expect(env.JWT_ISSUER).toBe('https://live-sale.eu.auth0.com/');
      expect(env.JWT_AUDIENCE).toBe('https://api.live-sale.test');
      expect(env.JWT_ADMIN_CLAIM).toBe('https://live-sale.test/roles');
      expect(env).toHaveProperty('JWT_SECRET_ARN');
    }
    expect(Object.keys(resources(s.data, 'AWS::Cognito::UserPool'))).toHaveLength(0);
  });
});

describe('the auth context is checked', () => {
  it('refuses typos and plain http issuers at synth', () => {
    expect(() => parseAuth('dev', { issuer: 'http://issuer.test/', hs256: false })).toThrow(/issuer/);
    expect(() =>
      parseAuth('dev', { cognito: { adminGroup: 'admin', callbackUrls: [] }, hs256: false }),
    ).toThrow(/callbackUrls/);
    expect(() => parseAuth('dev', { issuer: 'https://issuer.test/' })).toThrow(/hs256/);
  });
});
