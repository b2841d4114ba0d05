import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/build-app.js';
import { addNagChecks } from '../lib/nag.js';
import { NO_BUNDLING } from './support/synth.js';

interface Report {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{
      ruleName: string;
      severity: string;
      violatingConstructs: Array<{ constructPath: string }>;
    }>;
  }>;
}

function report(outdir: string): Report {
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, errors or warnings, in any stage', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'infra-nag-'));
    // Template checks: no bundling (the bundles are api-stack.test.ts's and `cdk synth`'s).
    const app = new App({ outdir, context: NO_BUNDLING });
    const stages = buildApp(app);
    expect(Object.keys(stages).sort()).toEqual(['dev', 'prod']);
    app.synth(); // throws on an unacknowledged error
    const findings = report(outdir).pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} ${c.constructPath}`),
      ),
    );
    expect(findings).toEqual([]);
  });

  it('is really active: an unencrypted queue without TLS fails the synth', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'infra-nag-bad-')) });
    new sqs.Queue(new Stack(app, 'Bad'), 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });

  it('acknowledgements must carry a reason', async () => {
    const { acknowledge } = await import('../lib/nag.js');
    const app = new App();
    expect(() => acknowledge(new Stack(app, 'S'), 'AwsSolutions-SQS3', 'because')).toThrow(/real reason/);
  });
});
