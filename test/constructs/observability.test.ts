import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { API_TELEMETRY } from '../../lambda/api/routes';
import { Observability, type ObservabilityProps } from '../../lib/constructs/observability';
import { RUNBOOK_SECTIONS } from '../../lib/runbook';
import { synthesizeDefault } from '../support/synth';
import { type Inspected, inspect, type Resource } from '../support/template';

const RUNBOOK = readFileSync(join(__dirname, '..', '..', 'docs', 'runbook.md'), 'utf8');

/** The runbook's section titles by anchor, written out here rather than derived. */
const RUNBOOK_TITLES: Record<string, string> = {
  [RUNBOOK_SECTIONS.api5xx]: 'API 5xx rate',
  [RUNBOOK_SECTIONS.lambdaErrors]: 'Lambda errors',
  [RUNBOOK_SECTIONS.lambdaThrottles]: 'Lambda throttles',
  [RUNBOOK_SECTIONS.mediaConvertFailures]: 'Failed MediaConvert jobs',
  [RUNBOOK_SECTIONS.cacheErrors]: 'Cache errors',
  [RUNBOOK_SECTIONS.deadLetters]: 'Dead-letter queues',
};

/** The first item of a runbook section's **What to do** list, on one line, read from docs/runbook.md. */
function firstStep(title: string): string {
  const section = RUNBOOK.split(/^## /m).find((part) => part.startsWith(`${title}\n`));
  const match = section?.split('**What to do**')[1]?.match(/^- (.*(?:\n {2}.*)*)/m);
  if (!match?.[1]) throw new Error(`docs/runbook.md has no "What to do" step under "${title}"`);
  return match[1].replace(/\n\s+/g, ' ');
}

/** What an alarm's description carries of its runbook section: its title, then its first step. */
const runbookPart = (anchor: string) => {
  const title = RUNBOOK_TITLES[anchor] ?? anchor;
  return `What to do (docs/runbook.md, "${title}"):\n- ${firstStep(title)}`;
};

/** The dashboard body as JSON text, with references written as `<LogicalId>` or `<LogicalId.Attribute>`. */
function dashboardBody(resource: Resource): string {
  const body = resource.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
  return text.replace(/\{"Ref":"([^"]+)"\}/g, '<$1>').replace(/\{"Fn::GetAtt":\["([^"]+)","([^"]+)"\]\}/g, '<$1.$2>');
}

interface DashboardMetric {
  /** Namespace, metric name and dimensions, space-separated. */
  readonly line: string;
  readonly region: string;
  readonly widget: string;
}

/** Every metric of the dashboard's graphs, with the region it is read from. */
function metricsOf(body: string): DashboardMetric[] {
  const parsed = JSON.parse(body) as { widgets: { type: string; properties: Record<string, any> }[] };
  return parsed.widgets
    .filter((widget) => widget.type === 'metric')
    .flatMap((widget) =>
      (widget.properties.metrics as unknown[][])
        .filter((line) => typeof line[0] === 'string')
        .map((line) => {
          const options = line.find((part) => typeof part === 'object') as { region?: string } | undefined;
          return {
            line: line.filter((part) => typeof part === 'string').join(' '),
            region: options?.region ?? widget.properties.region,
            widget: widget.properties.title,
          };
        }),
    );
}

describe('Observability', () => {
  let app: Inspected;
  let observability: Observability;
  let alarms: [string, Resource][];
  let body: string;
  let cdnAclMetricName: string;

  // One whole-app synth, shared by every test: it may take longer than the default timeout.
  beforeAll(() => {
    const synthesized = synthesizeDefault();
    app = inspect(synthesized);
    cdnAclMetricName = synthesized.edge.cdnFirewall.webAclMetricName;
    observability = app.platform.observability;
    alarms = app.ofType('AWS::CloudWatch::Alarm');
    const [dashboard] = app.ofType('AWS::CloudWatch::Dashboard');
    if (!dashboard) throw new Error('no dashboard');
    body = dashboardBody(dashboard[1]);
  }, 180_000);

  const functionNames = () => [...Object.keys(app.platform.api.functions), 'Submit', 'JobState'];

  describe('the dashboard', () => {
    const lines = () => new Set(metricsOf(body).map((metric) => metric.line));

    it('is the only dashboard of the stack', () => {
      expect(app.ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    });

    it('shows the API latency and its 4xx and 5xx errors', () => {
      const stage = `<${app.idOf(app.platform.api.api.deploymentStage)}>`;
      for (const name of ['Latency', '4XXError', '5XXError']) {
        expect(lines()).toContain(`AWS/ApiGateway ${name} ApiName Api Stage ${stage}`);
      }
    });

    it('shows duration, errors, throttles and concurrency of every function', () => {
      const functions = [
        ...Object.values(app.platform.api.functions),
        app.platform.pipeline.submitFunction,
        app.platform.pipeline.jobStateFunction,
      ].map((fn) => `<${app.idOf(fn)}>`);
      for (const name of ['Duration', 'Errors', 'Throttles', 'ConcurrentExecutions']) {
        for (const fn of functions) expect(lines()).toContain(`AWS/Lambda ${name} FunctionName ${fn}`);
      }
    });

    it("shows the cache hit ratio from the API's own metrics, with the Powertools service dimension", () => {
      for (const name of ['CacheHit', 'CacheMiss', 'CacheError']) {
        expect(lines()).toContain(`${API_TELEMETRY.metricsNamespace} ${name} service ${API_TELEMETRY.serviceName}`);
      }
      expect(body).toContain('100 * hits / (hits + misses)');
    });

    it('shows depth and age of the oldest message of the upload queue and both dead-letter queues', () => {
      const pipeline = app.platform.pipeline;
      for (const queue of [pipeline.uploadQueue, pipeline.uploadDeadLetterQueue, pipeline.jobEventDeadLetterQueue]) {
        const queueName = `<${app.idOf(queue)}.QueueName>`;
        expect(lines()).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${queueName}`);
        expect(lines()).toContain(`AWS/SQS ApproximateAgeOfOldestMessage QueueName ${queueName}`);
      }
    });

    it('shows MediaConvert jobs completed and failed in the platform queue', () => {
      const queueArn = `<${app.idOf(app.platform.pipeline.mediaConvertQueue)}.Arn>`;
      for (const name of ['JobsCompletedCount', 'JobsErroredCount']) {
        expect(lines()).toContain(`AWS/MediaConvert ${name} Queue ${queueArn}`);
      }
    });

    it('shows CloudFront requests, bytes, cache hit rate and error rates from us-east-1', () => {
      const cdn = metricsOf(body).filter((metric) => metric.line.startsWith('AWS/CloudFront '));
      const distribution = `<${app.idOf(app.platform.delivery.distribution)}>`;
      for (const name of ['Requests', 'BytesDownloaded', 'CacheHitRate', '4xxErrorRate', '5xxErrorRate']) {
        expect(cdn.map((metric) => metric.line)).toContain(
          `AWS/CloudFront ${name} DistributionId ${distribution} Region Global`,
        );
      }
      expect(new Set(cdn.map((metric) => metric.region))).toEqual(new Set(['us-east-1']));
    });

    it('turns on the distribution additional metrics that the cache hit rate needs', () => {
      const subscriptions = app.ofType('AWS::CloudFront::MonitoringSubscription');
      expect(subscriptions).toHaveLength(1);
      expect(subscriptions[0]?.[1].Properties).toEqual({
        DistributionId: { Ref: app.idOf(app.platform.delivery.distribution) },
        MonitoringSubscription: { RealtimeMetricsSubscriptionConfig: { RealtimeMetricsSubscriptionStatus: 'Enabled' } },
      });
    });

    it('shows blocked requests of the CDN web ACL (us-east-1) and the API web ACL (its region)', () => {
      const region = app.platform.region;
      const blocked = metricsOf(body)
        .filter((metric) => metric.widget === 'WAF blocked requests')
        .map((metric) => ({ line: metric.line, region: metric.region }));
      expect(blocked).toEqual([
        { line: `AWS/WAFV2 BlockedRequests Rule ALL WebACL ${cdnAclMetricName}`, region: 'us-east-1' },
        {
          line: `AWS/WAFV2 BlockedRequests Region ${region} Rule ALL WebACL ${app.platform.apiFirewall.webAclMetricName}`,
          region,
        },
      ]);
    });
  });

  describe('the alarms', () => {
    const topic = () => ({ Ref: app.idOf(app.platform.alarmTopic) });
    const alarmOf = (alarm: { node: { defaultChild?: unknown } }) => app.resourceOf(alarm as never).Properties;
    const alarmMetricsOf = (properties: Record<string, any>): { namespace: string; name: string; stat: string }[] =>
      (properties.Metrics as { MetricStat?: { Metric: { Namespace: string; MetricName: string }; Stat: string } }[])
        .filter((query) => query.MetricStat)
        .map((query) => ({
          namespace: query.MetricStat?.Metric.Namespace ?? '',
          name: query.MetricStat?.Metric.MetricName ?? '',
          stat: query.MetricStat?.Stat ?? '',
        }));

    it('counts exactly: API 5xx, errors and throttles of each function, failed jobs, cache errors, and the 2 dead-letter alarms', () => {
      expect(observability.alarms).toHaveLength(3 + 2 * functionNames().length);
      expect(alarms).toHaveLength(observability.alarms.length + app.platform.pipeline.deadLetterAlarms.length);
      expect(Object.keys(observability.functionAlarms).sort()).toEqual(functionNames().sort());
    });

    it('every alarm tells the alarm topic when it goes off and when it clears, and points at its runbook section', () => {
      for (const alarm of observability.alarms) {
        const properties = alarmOf(alarm);
        expect(properties.AlarmActions).toEqual([topic()]);
        expect(properties.OKActions).toEqual([topic()]);
        // Without a published runbook (runbookUrl), the section is named, never linked by a relative path.
        expect(properties.AlarmDescription).toMatch(/\nWhat to do \(docs\/runbook\.md, "[^"]+"\):\n- /);
        expect(properties.AlarmDescription).not.toContain('Runbook: docs/runbook.md');
      }
    });

    it('every alarm of the stack, the dead-letter alarms too, names its runbook section and carries its first step', () => {
      // Prepare
      const named = /\nWhat to do \(docs\/runbook\.md, "([^"]+)"\):\n/;

      // Act
      const descriptions = alarms.map(([id, alarm]) => ({
        id,
        description: alarm.Properties.AlarmDescription as string,
      }));

      // Assess
      expect(descriptions.length).toBeGreaterThan(observability.alarms.length);
      for (const { id, description } of descriptions) {
        const title = named.exec(description)?.[1] ?? `no section named in ${id}`;
        expect({ id, carries: description.includes(`"${title}"):\n- ${firstStep(title)}`) }).toEqual({
          id,
          carries: true,
        });
        expect({ id, withinLimit: description.length <= 1024 }).toEqual({ id, withinLimit: true });
      }
      const deadLetter = app.resourceOf(app.platform.pipeline.uploadDeadLetterQueue.alarm).Properties;
      expect(deadLetter.AlarmDescription).toContain(runbookPart(RUNBOOK_SECTIONS.deadLetters));
    });

    it('API 5xx: more than 1% of requests in 3 of 5 minutes', () => {
      const properties = alarmOf(observability.api5xxAlarm);
      expect(alarmMetricsOf(properties)).toEqual([{ namespace: 'AWS/ApiGateway', name: '5XXError', stat: 'Average' }]);
      expect(properties).toMatchObject({
        Threshold: 0.01,
        ComparisonOperator: 'GreaterThanThreshold',
        DatapointsToAlarm: 3,
        EvaluationPeriods: 5,
        TreatMissingData: 'notBreaching',
      });
      expect(properties.AlarmDescription).toContain(runbookPart(RUNBOOK_SECTIONS.api5xx));
    });

    it.each([
      ['errors', 'Errors', RUNBOOK_SECTIONS.lambdaErrors],
      ['throttles', 'Throttles', RUNBOOK_SECTIONS.lambdaThrottles],
    ] as const)('Lambda %s: any, in 3 of 5 minutes, for each function', (kind, metricName, section) => {
      for (const [name, pair] of Object.entries(observability.functionAlarms)) {
        const properties = alarmOf(pair[kind]);
        expect({ name, metrics: alarmMetricsOf(properties) }).toEqual({
          name,
          metrics: [{ namespace: 'AWS/Lambda', name: metricName, stat: 'Sum' }],
        });
        expect(properties).toMatchObject({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          DatapointsToAlarm: 3,
          EvaluationPeriods: 5,
        });
        expect(properties.AlarmDescription).toContain(`Function ${name} `);
        expect(properties.AlarmDescription).toContain(runbookPart(section));
      }
    });

    it('failed MediaConvert jobs: the first one', () => {
      const properties = alarmOf(observability.mediaConvertFailureAlarm);
      expect(alarmMetricsOf(properties)).toEqual([
        { namespace: 'AWS/MediaConvert', name: 'JobsErroredCount', stat: 'Sum' },
      ]);
      expect(properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        DatapointsToAlarm: 1,
        EvaluationPeriods: 1,
      });
      expect(properties.AlarmDescription).toContain(runbookPart(RUNBOOK_SECTIONS.mediaConvertFailures));
    });

    it('cache errors: more than 5 a minute in 3 of 5 minutes', () => {
      const properties = alarmOf(observability.cacheErrorAlarm);
      expect(alarmMetricsOf(properties)).toEqual([{ namespace: 'VodPlatform', name: 'CacheError', stat: 'Sum' }]);
      expect(properties).toMatchObject({
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        DatapointsToAlarm: 3,
        EvaluationPeriods: 5,
      });
      expect(properties.AlarmDescription).toContain(runbookPart(RUNBOOK_SECTIONS.cacheErrors));
    });
  });

  describe('tracing', () => {
    const ourFunctions = () =>
      app
        .ofType('AWS::Lambda::Function')
        .filter(([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined);

    it('traces every handler function with X-Ray, and only those are ours', () => {
      // Prepare
      const expected = functionNames().length;

      // Act
      const functions = ourFunctions();

      // Assess
      expect(functions).toHaveLength(expected);
      for (const [, fn] of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    });

    it('lets every handler write its segments and nothing more of X-Ray', () => {
      for (const [, fn] of ourFunctions()) {
        // Prepare
        const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

        // Act
        const xrayActions = app
          .ofType('AWS::IAM::Policy')
          .filter(([, policy]) => (policy.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === roleId))
          .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
          .flatMap((statement) => [statement.Action].flat())
          .filter((action) => action.startsWith('xray:'))
          .sort();

        // Assess
        expect(xrayActions).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    });

    it('traces the API stage, so a trace starts at the gateway and continues into the handler', () => {
      const stage = app.resourceOf(app.platform.api.api.deploymentStage);

      expect(stage.Properties.TracingEnabled).toBe(true);
    });
  });

  describe('props', () => {
    function props(stack: Stack, overrides: Partial<ObservabilityProps> = {}): ObservabilityProps {
      const api = new apigw.RestApi(stack, 'Api');
      api.root.addMethod('GET', new apigw.MockIntegration());
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_LATEST,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {}'),
      });
      return {
        alarmTopic: new sns.Topic(stack, 'Topic'),
        api,
        functions: { Fn: fn },
        queues: [{ title: 'Q', queue: new sqs.Queue(stack, 'Q') }],
        mediaConvertQueueArn: 'arn:aws:mediaconvert:eu-west-1:111111111111:queues/Default',
        distribution: new cloudfront.Distribution(stack, 'Cdn', {
          defaultBehavior: { origin: origins.S3BucketOrigin.withOriginAccessControl(new s3.Bucket(stack, 'B')) },
        }),
        ...overrides,
      };
    }

    it.each([
      [{ functions: {} }, /functions must name at least one function, received none/],
      [{ api5xxPercent: 0 }, /api5xxPercent must be a percentage above 0 and at most 100, received 0/],
      [{ cacheErrorsPerMinute: 1.5 }, /cacheErrorsPerMinute must be a whole number from 0, received 1.5/],
      [{ runbookUrl: ' ' }, /runbookUrl must not be empty/],
      [
        { runbookUrl: 'docs/runbook.md' },
        /runbookUrl must be an absolute https:\/\/ URL without a #fragment .*, received "docs\/runbook.md"/,
      ],
      [{ runbookUrl: 'http://wiki.example.com/runbook' }, /runbookUrl must be an absolute https:\/\/ URL/],
      [{ runbookUrl: 'https://wiki.example.com/runbook#top' }, /runbookUrl must be an absolute https:\/\/ URL/],
      [
        { webAcls: [{ title: 'Q', metricName: 'acl', scope: 'REGIONAL' as const }] },
        /titles must be unique, received "Q" twice/,
      ],
      [
        { webAcls: [{ title: 'W', metricName: 'has space', scope: 'CLOUDFRONT' as const }] },
        /web ACL W needs its metric name .* received "has space"/,
      ],
    ])('refuses %j', (overrides, message) => {
      const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1', account: '111111111111' } });
      expect(() => new Observability(stack, 'O', props(stack, overrides as Partial<ObservabilityProps>))).toThrow(
        message,
      );
    });

    it('links every alarm to its runbook section when the runbook is published at an https URL', () => {
      // Prepare
      const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1', account: '111111111111' } });
      const runbookUrl = 'https://wiki.example.com/vod/runbook';

      // Act
      const made = new Observability(stack, 'O', props(stack, { runbookUrl }));
      const description = (alarm: cloudwatch.Alarm) =>
        stack.resolve((alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmDescription) as string;

      // Assess
      const expected: [cloudwatch.Alarm, string][] = [
        [made.api5xxAlarm, RUNBOOK_SECTIONS.api5xx],
        [made.functionAlarms.Fn?.errors as cloudwatch.Alarm, RUNBOOK_SECTIONS.lambdaErrors],
        [made.functionAlarms.Fn?.throttles as cloudwatch.Alarm, RUNBOOK_SECTIONS.lambdaThrottles],
        [made.mediaConvertFailureAlarm, RUNBOOK_SECTIONS.mediaConvertFailures],
        [made.cacheErrorAlarm, RUNBOOK_SECTIONS.cacheErrors],
      ];
      expect(expected).toHaveLength(made.alarms.length);
      for (const [alarm, section] of expected) {
        expect(description(alarm)).toContain(runbookPart(section));
        expect(description(alarm).split('\n').at(-1)).toBe(`Runbook: ${runbookUrl}#${section}`);
      }
    });

    it('leaves the CDN additional metrics off when asked', () => {
      const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1', account: '111111111111' } });
      const made = new Observability(stack, 'O', props(stack, { additionalCdnMetrics: false }));
      expect(made.cdnMetricsSubscription).toBeUndefined();
      expect(made.alarms).toHaveLength(5);
    });
  });
});
