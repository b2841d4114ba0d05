import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { AuthConfig } from '../config/stages.js';
import { acknowledge } from '../nag.js';

export interface UserDirectoryProps {
  readonly prefix: string;
  readonly adminGroup: string;
  readonly callbackUrls: string[];
  readonly logoutUrls?: string[];
  /** Users are data: RETAIN in prod (stage.retainData). */
  readonly retain: boolean;
}

/**
 * The users of a stage in Amazon Cognito: a user pool (sign-up by invitation, e-mail sign-in,
 * strong passwords, optional TOTP), an app client for the shop (public: authorization code with
 * PKCE, no secret to leak from a browser), and the admin group whose name `cognito:groups` carries.
 * Its issuer is what the functions' JWT_ISSUER is set to (API.md v1.2).
 */
export class UserDirectory extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly adminGroup: string;

  constructor(scope: Construct, id: string, props: UserDirectoryProps) {
    super(scope, id);
    this.adminGroup = props.adminGroup;
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.prefix}-users`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: props.retain,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.client = this.userPool.addClient('ShopClient', {
      userPoolClientName: `${props.prefix}-shop`,
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        ...(props.logoutUrls ? { logoutUrls: props.logoutUrls } : {}),
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Short-lived tokens: the API caches a verified token for at most a minute, and never past its exp.
      idTokenValidity: Duration.minutes(60),
      accessTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(30),
    });
    new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: props.adminGroup,
      description: 'Admins: create auctions and products (JWT_ADMIN_CLAIM cognito:groups)',
    });
    acknowledge(
      this.userPool,
      'AwsSolutions-COG2',
      'MFA is optional (TOTP) rather than required: shoppers are invited and sign in with strong passwords; requiring MFA for every bidder is a product decision per shop.',
    );
    acknowledge(
      this.userPool,
      'AwsSolutions-COG3',
      'Threat protection (advanced security) needs the Cognito Plus feature plan, a cost decision per deployment (docs/DEPLOY.md).',
    );
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      'The Plus feature plan (threat protection) is priced per monthly active user: a cost decision per deployment, documented in docs/DEPLOY.md; the API verifies tokens the same way on every plan.',
    );
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of the pool's tokens. */
  get issuer(): string {
    return `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}

/** The functions' variables for a stage's sign-in (functions/config.ts), or none for HS256 only. */
export function authEnvironment(
  auth: AuthConfig | undefined,
  directory: UserDirectory | undefined,
): Record<string, string> {
  if (!auth) return {};
  if ('cognito' in auth) {
    if (!directory) throw new Error('auth.cognito needs the data stack to make the user pool');
    return {
      JWT_ISSUER: directory.issuer,
      JWT_AUDIENCE: directory.client.userPoolClientId,
      JWT_ADMIN_CLAIM: 'cognito:groups',
      JWT_ADMIN_VALUE: directory.adminGroup,
    };
  }
  return {
    JWT_ISSUER: auth.issuer,
    ...(auth.audience ? { JWT_AUDIENCE: auth.audience } : {}),
    ...(auth.jwksUrl ? { JWT_JWKS_URL: auth.jwksUrl } : {}),
    ...(auth.adminClaim ? { JWT_ADMIN_CLAIM: auth.adminClaim } : {}),
    ...(auth.adminValue ? { JWT_ADMIN_VALUE: auth.adminValue } : {}),
  };
}
