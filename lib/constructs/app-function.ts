import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type FunctionName, functionTimeoutSeconds } from '../config/functions.js';
import type { StageConfig } from '../config/stages.js';

export type { FunctionName } from '../config/functions.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Context value that recycles every function (docs/DEPLOY.md): `-c recycle=$(date +%s)` changes an
 * environment variable, so each function gets a new version and fresh execution environments,
 * which read the secrets again.
 */
export const RECYCLE_CONTEXT = 'recycle';

export function entryPath(name: FunctionName): string {
  return path.join(PROJECT_ROOT, 'functions', name, 'lambda.ts');
}

/**
 * ESM bundles need `require` for the CommonJS dependencies (ioredis, postgres) that call it for
 * Node built-ins; esbuild's ESM output has none, so the banner provides one.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Only `secretsmanager:GetSecretValue` on the one secret (grantRead adds DescribeSecret, which the
 * functions never call). The secrets use the AWS-managed key, so no KMS grant is needed.
 */
export function grantSecretValue(secret: secretsmanager.ISecret, grantee: iam.IGrantable): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:GetSecretValue'],
    resourceArns: [secret.secretArn],
  });
}

export interface AppFunctionProps {
  readonly name: FunctionName;
  readonly description: string;
  readonly stage: StageConfig;
  readonly serviceName: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly memorySize?: number;
  readonly commandHooks?: ICommandHooks;
}

/**
 * A NodejsFunction with the project's defaults (ESM, ARM64, Node 22, minified with source maps,
 * `.lua` as text, JSON logs at the stage's level in `/aws/lambda/<function name>` with retention,
 * placed in the VPC, the timeout of lib/config/functions.ts, the stage's reserved concurrency) and
 * methods that bind an environment variable and its IAM grant in one call, so neither can be
 * forgotten.
 */
export class AppFunction extends NodejsFunction {
  readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const functionName = `${props.serviceName}-${props.name}`;
    // Named as Lambda would name it, so `aws logs tail /aws/lambda/<function>` finds it.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.stage.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const reserved = props.stage.functions.reservedConcurrency[props.name];
    const recycle: unknown = scope.node.tryGetContext(RECYCLE_CONTEXT);
    super(scope, id, {
      functionName,
      entry: entryPath(props.name),
      handler: 'handler',
      description: props.description,
      // The project's one Node line (package.json engines, .node-version): dev, CI and Lambda.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(functionTimeoutSeconds[props.name]),
      ...(reserved !== undefined ? { reservedConcurrentExecutions: reserved } : {}),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      // Egress is opened rule by rule by the bindings (Redis, proxy, endpoints, internet 443).
      allowAllOutbound: false,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // With JSON logs Lambda filters application logs itself (INFO when unset), below whatever
      // Powertools would print: both get the stage's level, or dev's DEBUG lines are dropped.
      applicationLogLevelV2: lambda.ApplicationLogLevel[props.stage.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: `${props.serviceName}-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: props.serviceName,
        LOG_LEVEL: props.stage.logLevel,
        // Readable stack traces from the minified bundle. The cost is paid when `error.stack` is
        // read, so expected 4xx errors must not log their stacks.
        NODE_OPTIONS: '--enable-source-maps',
        ...(recycle !== undefined ? { RECYCLED_AT: String(recycle) } : {}),
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        loader: { '.lua': 'text' },
        // The SDK v3 in the Lambda runtime changes version under us; bundling the few clients we
        // use pins the exact version the tests ran against, and tree-shaking keeps it small.
        bundleAwsSDK: true,
        externalModules: [],
        ...(props.commandHooks ? { commandHooks: props.commandHooks } : {}),
      },
    });
    this.functionLogGroup = logGroup;
  }

  /** Reads one secret at cold start: env var with its ARN + secretsmanager:GetSecretValue on it. */
  readsSecret(secret: secretsmanager.ISecret, variable: string): this {
    grantSecretValue(secret, this);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }

  /** HTTPS to an interface endpoint (AWS API calls that stay inside the VPC). */
  reaches(endpoint: ec2.IConnectable, why: string): this {
    this.connections.allowTo(endpoint, ec2.Port.tcp(443), `${this.node.id}: ${why}`);
    return this;
  }
}
