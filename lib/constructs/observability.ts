import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  type AlarmWithAnnotation,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { API_TELEMETRY } from '../../lambda/api/routes';

/** A queue to show on the dashboard (depth and age of the oldest message), with its dead-letter queue. */
export interface WatchedQueue {
  /** Its title on the dashboard, e.g. `Uploads`. */
  readonly title: string;
  readonly queue: sqs.IQueue;
  /**
   * Its dead-letter queue, shown beside it. The dead-letter alarms live with the queues (`deadLetterAlarm`).
   * @default - none
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** A WAF web ACL whose blocked requests the dashboard shows. */
export interface WatchedWebAcl {
  /** Its title on the dashboard, e.g. `CDN`. */
  readonly title: string;
  /** The web ACL's metric name (its visibility config), WAF's `WebACL` dimension. */
  readonly metricName: string;
  /** `CLOUDFRONT` web ACLs report in us-east-1 without a `Region` dimension; `REGIONAL` ones in their region. */
  readonly scope: 'CLOUDFRONT' | 'REGIONAL';
  /**
   * The region of a `REGIONAL` web ACL.
   * @default - this stack's region
   */
  readonly region?: string;
}

export interface ObservabilityProps {
  /** Every alarm notifies this topic when it goes off and when it clears. */
  readonly alarmTopic: sns.ITopic;
  /** The REST API whose latency and errors are shown, and whose 5xx rate has an alarm. */
  readonly api: apigw.IRestApi;
  /**
   * The API stage to watch.
   * @default - the API's deployment stage
   */
  readonly apiStage?: string;
  /** Every function of the platform, by a readable name: duration, errors, throttles, concurrency, and alarms. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Queues shown with their depth and age of oldest message. */
  readonly queues: readonly WatchedQueue[];
  /** The MediaConvert queue's ARN (MediaConvert's `Queue` dimension): jobs completed and failed. */
  readonly mediaConvertQueueArn: string;
  /** The CDN distribution: requests, bytes, cache hit rate, error rates. */
  readonly distribution: cloudfront.IDistribution;
  /**
   * Turn on the distribution's additional metrics (cache hit rate, per-status error rates).
   * They cost about as much as 8 CloudWatch custom metrics a month per distribution.
   * @default true
   */
  readonly additionalCdnMetrics?: boolean;
  /**
   * The web ACLs whose blocked requests are shown.
   * @default - none
   */
  readonly webAcls?: readonly WatchedWebAcl[];
  /**
   * The namespace and Powertools service of the handlers that count `CacheHit`, `CacheMiss` and `CacheError`.
   * @default API_TELEMETRY (namespace `VodPlatform`, service `vod-api`)
   */
  readonly cacheTelemetry?: { readonly metricsNamespace: string; readonly serviceName: string };
  /**
   * Where the runbook lives; alarm descriptions link to its sections (`<runbookUrl>#<section>`).
   * @default 'docs/runbook.md'
   */
  readonly runbookUrl?: string;
  /**
   * Prefix of the dashboard's and the alarms' names.
   * @default - the stack's name
   */
  readonly namePrefix?: string;
  /**
   * The API 5xx alarm goes off when more than this share of requests, in percent, answer 5xx.
   * @default 1
   */
  readonly api5xxPercent?: number;
  /**
   * The cache error alarm goes off when the API counts more cache errors than this in a minute.
   * @default 5
   */
  readonly cacheErrorsPerMinute?: number;
}

/** The runbook's sections, one per alarm (anchors of docs/runbook.md). */
export const RUNBOOK_SECTIONS = {
  api5xx: 'api-5xx-rate',
  lambdaErrors: 'lambda-errors',
  lambdaThrottles: 'lambda-throttles',
  mediaConvertFailures: 'failed-mediaconvert-jobs',
  cacheErrors: 'cache-errors',
} as const;

/** The region CloudFront and CLOUDFRONT-scope WAF metrics live in. */
const GLOBAL_METRICS_REGION = 'us-east-1';

/** An alarm goes off after this many bad minutes out of the last EVALUATION_MINUTES. */
const DATAPOINTS_TO_ALARM = 3;
const EVALUATION_MINUTES = 5;

function checkPercent(what: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    throw new Error(`Observability: ${what} must be a percentage above 0 and at most 100, received ${value}`);
  }
}

/**
 * The platform's CloudWatch dashboard and alarms, built with cdk-monitoring-constructs: API
 * Gateway, every function, the metadata cache's hit ratio, the queues, MediaConvert, CloudFront
 * and both web ACLs on one dashboard; alarms on the API's 5xx rate, each function's errors and
 * throttles, failed MediaConvert jobs and cache errors, all to the alarm topic. The dead-letter
 * queues' alarms stay with their queues (`deadLetterAlarm`).
 */
export class Observability extends Construct {
  public readonly monitoring: MonitoringFacade;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm this construct made. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  public readonly api5xxAlarm: cloudwatch.Alarm;
  public readonly mediaConvertFailureAlarm: cloudwatch.Alarm;
  public readonly cacheErrorAlarm: cloudwatch.Alarm;
  /** Errors and throttles alarms, by the function's name in `functions`. */
  public readonly functionAlarms: Readonly<
    Record<string, { readonly errors: cloudwatch.Alarm; readonly throttles: cloudwatch.Alarm }>
  >;
  /** Present unless `additionalCdnMetrics` is false. */
  public readonly cdnMetricsSubscription?: cloudfront.CfnMonitoringSubscription;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const functionNames = Object.keys(props.functions);
    if (functionNames.length === 0) {
      throw new Error('Observability: functions must name at least one function, received none');
    }
    for (const name of functionNames) {
      if (!/^[A-Za-z0-9-]+$/.test(name)) {
        throw new Error(
          `Observability: function names must be letters, digits and dashes, received ${JSON.stringify(name)}`,
        );
      }
    }
    const titles = [...props.queues.map((q) => q.title), ...(props.webAcls ?? []).map((w) => w.title)];
    const duplicate = titles.find((title, index) => titles.indexOf(title) !== index);
    if (duplicate !== undefined) {
      throw new Error(
        `Observability: queue and web ACL titles must be unique, received ${JSON.stringify(duplicate)} twice`,
      );
    }
    for (const acl of props.webAcls ?? []) {
      if (!Token.isUnresolved(acl.metricName) && !/^[\w-]{1,128}$/.test(acl.metricName)) {
        throw new Error(
          `Observability: web ACL ${acl.title} needs its metric name (1-128 letters, digits, - or _), received ${JSON.stringify(acl.metricName)}`,
        );
      }
    }
    const api5xxPercent = props.api5xxPercent ?? 1;
    checkPercent('api5xxPercent', api5xxPercent);
    const cacheErrorsPerMinute = props.cacheErrorsPerMinute ?? 5;
    if (!Number.isInteger(cacheErrorsPerMinute) || cacheErrorsPerMinute < 0) {
      throw new Error(
        `Observability: cacheErrorsPerMinute must be a whole number from 0, received ${cacheErrorsPerMinute}`,
      );
    }
    const runbookUrl = props.runbookUrl ?? 'docs/runbook.md';
    if (runbookUrl.trim() === '') throw new Error('Observability: runbookUrl must not be empty, received ""');
    const runbook = (section: string) => `${runbookUrl}#${section}`;
    const namePrefix = props.namePrefix ?? stack.stackName;
    const action = new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic, onOkTopic: props.alarmTopic });

    this.monitoring = new MonitoringFacade(this, 'Monitoring', {
      // One-minute metrics: an alarm goes off after 3 bad minutes out of 5, not after 15.
      metricFactoryDefaults: { period: Duration.minutes(1) },
      alarmFactoryDefaults: {
        alarmNamePrefix: namePrefix,
        actionsEnabled: true,
        action,
        datapointsToAlarm: DATAPOINTS_TO_ALARM,
        evaluationPeriods: EVALUATION_MINUTES,
      },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: namePrefix,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    const monitoring = this.monitoring;
    const single = (alarms: AlarmWithAnnotation[], what: string): cloudwatch.Alarm => {
      const [created] = alarms;
      if (alarms.length !== 1 || !created)
        throw new Error(`Observability: expected one ${what} alarm, made ${alarms.length}`);
      return created.alarm as cloudwatch.Alarm;
    };

    // API Gateway: requests, latency, 4xx and 5xx (the library's own widgets), then the 5xx share.
    monitoring.monitorApiGateway({ api: props.api, apiStage: props.apiStage, humanReadableName: 'API' });
    const stageName = props.apiStage ?? props.api.deploymentStage.stageName;
    // 5XXError averaged over requests is the share of requests that failed (0 to 1).
    const api5xxShare = new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensionsMap: { ApiName: props.api.restApiName, Stage: stageName },
      statistic: 'Average',
      period: Duration.minutes(1),
      label: '5xx share of requests',
    });
    monitoring.monitorCustom({
      humanReadableName: 'API 5xx share',
      alarmFriendlyName: 'Api5xx',
      metricGroups: [
        {
          title: 'API 5xx share of requests',
          metrics: [
            {
              metric: api5xxShare,
              alarmFriendlyName: 'Api5xxRate',
              addAlarm: {
                Critical: {
                  threshold: api5xxPercent / 100,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  alarmDescriptionOverride: `More than ${api5xxPercent}% of API requests answered 5xx in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes: callers see server errors.`,
                  runbookLink: runbook(RUNBOOK_SECTIONS.api5xx),
                },
              },
            },
          ],
        },
      ],
    });
    this.api5xxAlarm = single(monitoring.createdAlarmsWithDisambiguator('Critical'), 'API 5xx');

    // Lambda: duration, errors, throttles and concurrency of every function. Alarms per function,
    // so an alarm names the broken function (about $0.10 a month each).
    const functionAlarms: Record<string, { errors: cloudwatch.Alarm; throttles: cloudwatch.Alarm }> = {};
    for (const [name, fn] of Object.entries(props.functions)) {
      const before = monitoring.createdAlarms().length;
      monitoring.monitorLambdaFunction({
        lambdaFunction: fn,
        humanReadableName: `Function ${name}`,
        alarmFriendlyName: `Fn-${name}`,
        addFaultCountAlarm: {
          Errors: {
            maxErrorCount: 0,
            alarmDescriptionOverride: `Function ${name} failed (unhandled error or timeout) in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes.`,
            runbookLink: runbook(RUNBOOK_SECTIONS.lambdaErrors),
          },
        },
        addThrottlesCountAlarm: {
          Throttles: {
            maxErrorCount: 0,
            alarmDescriptionOverride: `Function ${name} was throttled (out of concurrency) in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes.`,
            runbookLink: runbook(RUNBOOK_SECTIONS.lambdaThrottles),
          },
        },
      });
      const made = monitoring.createdAlarms().slice(before);
      functionAlarms[name] = {
        errors: single(
          made.filter((a) => a.disambiguator === 'Errors'),
          `${name} errors`,
        ),
        throttles: single(
          made.filter((a) => a.disambiguator === 'Throttles'),
          `${name} throttles`,
        ),
      };
    }
    this.functionAlarms = functionAlarms;

    // The metadata cache, from the API handlers' own Powertools metrics (service dimension).
    const telemetry = props.cacheTelemetry ?? API_TELEMETRY;
    const cacheMetric = (metricName: 'CacheHit' | 'CacheMiss' | 'CacheError') =>
      new cloudwatch.Metric({
        namespace: telemetry.metricsNamespace,
        metricName,
        dimensionsMap: { service: telemetry.serviceName },
        statistic: 'Sum',
        period: Duration.minutes(1),
        label: metricName,
      });
    const hitRatio = new cloudwatch.MathExpression({
      expression: '100 * hits / (hits + misses)',
      usingMetrics: { hits: cacheMetric('CacheHit'), misses: cacheMetric('CacheMiss') },
      period: Duration.minutes(1),
      label: 'Hit ratio (%)',
    });
    monitoring.monitorCustom({
      humanReadableName: 'Metadata cache',
      alarmFriendlyName: 'Cache',
      metricGroups: [
        { title: 'Cache hit ratio (%)', metrics: [hitRatio], graphWidgetAxis: { min: 0, max: 100 } },
        {
          title: 'Cache lookups',
          metrics: [
            cacheMetric('CacheHit'),
            cacheMetric('CacheMiss'),
            {
              metric: cacheMetric('CacheError'),
              alarmFriendlyName: 'CacheErrors',
              addAlarm: {
                Warning: {
                  threshold: cacheErrorsPerMinute,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  alarmDescriptionOverride: `The API counted more than ${cacheErrorsPerMinute} cache errors a minute in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes: Valkey is unreachable or failing; reads fall back to DynamoDB (slower, costlier).`,
                  runbookLink: runbook(RUNBOOK_SECTIONS.cacheErrors),
                },
              },
            },
          ],
        },
      ],
    });
    this.cacheErrorAlarm = single(monitoring.createdAlarmsWithDisambiguator('Warning'), 'cache error');

    // Queues: depth and age of the oldest message. No alarms: the dead-letter alarms live with the queues.
    for (const watched of props.queues) {
      if (watched.deadLetterQueue) {
        monitoring.monitorSqsQueueWithDlq({
          queue: watched.queue,
          deadLetterQueue: watched.deadLetterQueue,
          humanReadableName: `Queue ${watched.title}`,
          alarmFriendlyName: `Queue-${watched.title}`,
        });
      } else {
        monitoring.monitorSqsQueue({
          queue: watched.queue,
          humanReadableName: `Queue ${watched.title}`,
          alarmFriendlyName: `Queue-${watched.title}`,
        });
      }
    }

    // MediaConvert: jobs completed and failed in the platform's queue (dimension `Queue`, its ARN).
    const jobs = (metricName: 'JobsCompletedCount' | 'JobsErroredCount', label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/MediaConvert',
        metricName,
        dimensionsMap: { Queue: props.mediaConvertQueueArn },
        statistic: 'Sum',
        period: Duration.minutes(1),
        label,
      });
    monitoring.monitorCustom({
      humanReadableName: 'MediaConvert',
      alarmFriendlyName: 'MediaConvert',
      metricGroups: [
        {
          title: 'MediaConvert jobs',
          metrics: [
            jobs('JobsCompletedCount', 'Completed'),
            {
              metric: jobs('JobsErroredCount', 'Failed'),
              alarmFriendlyName: 'FailedJobs',
              addAlarm: {
                Failed: {
                  threshold: 0,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  // One failed job is one video that will not play: tell someone at once.
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  alarmDescriptionOverride:
                    'A MediaConvert job failed: a video is FAILED and will not play until it is uploaded again or the cause is fixed.',
                  runbookLink: runbook(RUNBOOK_SECTIONS.mediaConvertFailures),
                },
              },
            },
          ],
        },
      ],
    });
    this.mediaConvertFailureAlarm = single(monitoring.createdAlarmsWithDisambiguator('Failed'), 'MediaConvert');

    // CloudFront (metrics in us-east-1, which the library sets): requests, bytes, cache hit rate,
    // 4xx/5xx error rates. Cache hit rate and per-status rates are "additional metrics".
    const additionalCdnMetrics = props.additionalCdnMetrics ?? true;
    if (additionalCdnMetrics) {
      // Cost: additional metrics are billed like 8 CloudWatch custom metrics per distribution
      // (about $2.40 a month at $0.30 per metric), whatever the traffic.
      this.cdnMetricsSubscription = new cloudfront.CfnMonitoringSubscription(this, 'CdnAdditionalMetrics', {
        distributionId: props.distribution.distributionId,
        monitoringSubscription: {
          realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: 'Enabled' },
        },
      });
    }
    monitoring.monitorCloudFrontDistribution({
      distribution: props.distribution,
      additionalMetricsEnabled: additionalCdnMetrics,
      humanReadableName: 'CDN',
      alarmFriendlyName: 'Cdn',
    });

    // WAF: blocked (and allowed) requests of each web ACL, all rules together.
    const webAcls = props.webAcls ?? [];
    if (webAcls.length > 0) {
      const wafMetric = (acl: WatchedWebAcl, metricName: 'BlockedRequests' | 'AllowedRequests') => {
        const region = acl.scope === 'CLOUDFRONT' ? GLOBAL_METRICS_REGION : (acl.region ?? stack.region);
        return new cloudwatch.Metric({
          namespace: 'AWS/WAFV2',
          metricName,
          dimensionsMap: {
            WebACL: acl.metricName,
            Rule: 'ALL',
            ...(acl.scope === 'REGIONAL' ? { Region: region } : {}),
          },
          statistic: 'Sum',
          period: Duration.minutes(1),
          region,
          label: `${acl.title} ${metricName === 'BlockedRequests' ? 'blocked' : 'allowed'}`,
        });
      };
      monitoring.monitorCustom({
        humanReadableName: 'Web ACLs',
        alarmFriendlyName: 'WebAcls',
        metricGroups: [
          { title: 'WAF blocked requests', metrics: webAcls.map((acl) => wafMetric(acl, 'BlockedRequests')) },
          { title: 'WAF allowed requests', metrics: webAcls.map((acl) => wafMetric(acl, 'AllowedRequests')) },
        ],
      });
    }

    const dashboard = monitoring.createdDashboard();
    if (!dashboard) throw new Error('Observability: the dashboard factory made no dashboard');
    this.dashboard = dashboard;
    this.alarms = monitoring.createdAlarms().map((created) => created.alarm as cloudwatch.Alarm);
  }
}
