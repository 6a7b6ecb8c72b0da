import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type CustomThreshold,
  DefaultDashboardFactory,
  DefaultDashboards,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { API_TELEMETRY } from '../../lambda/api/routes';
import { alarmDescription, RUNBOOK_SECTIONS, type RunbookSection } from '../runbook';
import {
  DATAPOINTS_TO_ALARM,
  EVALUATION_MINUTES,
  GLOBAL_METRICS_REGION,
  minuteMetric,
  single,
} from './observability-metrics';
import {
  checkObservabilityProps,
  type ObservabilityProps,
  type ObservabilityThresholds,
  type WatchedQueue,
  type WatchedWebAcl,
} from './observability-props';

export type { ObservabilityProps, WatchedQueue, WatchedWebAcl } from './observability-props';

/**
 * The platform's CloudWatch dashboard and alarms, built with cdk-monitoring-constructs: API
 * Gateway, every function, the metadata cache's hit ratio, the queues, MediaConvert, CloudFront
 * and both web ACLs on one dashboard; alarms on the API's 5xx rate, each function's errors and
 * throttles, failed MediaConvert jobs and cache errors, all to the alarm topic. Every alarm's
 * description carries its runbook section's name and steps (docs/runbook.md). The dead-letter
 * queues' alarms stay with their queues (`DeadLetterQueue`).
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
  private readonly thresholds: ObservabilityThresholds;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.thresholds = checkObservabilityProps(props);
    const namePrefix = props.namePrefix ?? Stack.of(this).stackName;
    const action = new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic, onOkTopic: props.alarmTopic });
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: namePrefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
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
      dashboardFactory: dashboards,
    });

    this.api5xxAlarm = this.monitorApi(props);
    this.functionAlarms = this.monitorFunctions(props.functions);
    this.cacheErrorAlarm = this.monitorCache(props.cacheTelemetry ?? API_TELEMETRY);
    this.monitorQueues(props.queues);
    this.mediaConvertFailureAlarm = this.monitorMediaConvert(props.mediaConvertQueueArn);
    this.cdnMetricsSubscription = this.monitorCdn(props);
    this.monitorWebAcls(props.webAcls ?? []);

    const dashboard = dashboards.getDashboard(DefaultDashboards.DETAIL);
    if (!dashboard) throw new Error('Observability: the dashboard factory made no dashboard');
    this.dashboard = dashboard;
    this.alarms = this.monitoring.createdAlarms().map((created) => created.alarm as cloudwatch.Alarm);
  }

  /** An alarm above `threshold` (missing data is fine) whose description leads to the runbook. */
  private above(
    threshold: number,
    summary: string,
    section: RunbookSection,
    evaluation: Partial<Pick<CustomThreshold, 'datapointsToAlarm' | 'evaluationPeriods'>> = {},
  ): CustomThreshold {
    return {
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescriptionOverride: this.describe(summary, section),
      ...evaluation,
    };
  }

  private describe(summary: string, section: RunbookSection): string {
    return alarmDescription({ summary, section, runbookUrl: this.thresholds.runbookUrl });
  }

  /** API Gateway: requests, latency, 4xx and 5xx (the library's own widgets), then the 5xx share. */
  private monitorApi(props: ObservabilityProps): cloudwatch.Alarm {
    const percent = this.thresholds.api5xxPercent;
    this.monitoring.monitorApiGateway({ api: props.api, apiStage: props.apiStage, humanReadableName: 'API' });
    const stageName = props.apiStage ?? props.api.deploymentStage.stageName;
    // 5XXError averaged over requests is the share of requests that failed (0 to 1).
    const share = minuteMetric({
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensionsMap: { ApiName: props.api.restApiName, Stage: stageName },
      statistic: 'Average',
      label: '5xx share of requests',
    });
    const summary = `More than ${percent}% of API requests answered 5xx in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes: callers see server errors.`;
    this.monitoring.monitorCustom({
      humanReadableName: 'API 5xx share',
      alarmFriendlyName: 'Api5xx',
      metricGroups: [
        {
          title: 'API 5xx share of requests',
          metrics: [
            {
              metric: share,
              alarmFriendlyName: 'Api5xxRate',
              addAlarm: { Critical: this.above(percent / 100, summary, RUNBOOK_SECTIONS.api5xx) },
            },
          ],
        },
      ],
    });
    return single(this.monitoring.createdAlarmsWithDisambiguator('Critical'), 'API 5xx');
  }

  /**
   * Lambda: duration, errors, throttles and concurrency of every function. Alarms per function,
   * so an alarm names the broken function (about $0.10 a month each).
   */
  private monitorFunctions(functions: Readonly<Record<string, lambda.IFunction>>) {
    const alarms: Record<string, { errors: cloudwatch.Alarm; throttles: cloudwatch.Alarm }> = {};
    const minutes = `in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes`;
    for (const [name, fn] of Object.entries(functions)) {
      const before = this.monitoring.createdAlarms().length;
      this.monitoring.monitorLambdaFunction({
        lambdaFunction: fn,
        humanReadableName: `Function ${name}`,
        alarmFriendlyName: `Fn-${name}`,
        addFaultCountAlarm: {
          Errors: {
            maxErrorCount: 0,
            alarmDescriptionOverride: this.describe(
              `Function ${name} failed (unhandled error or timeout) ${minutes}.`,
              RUNBOOK_SECTIONS.lambdaErrors,
            ),
          },
        },
        addThrottlesCountAlarm: {
          Throttles: {
            maxErrorCount: 0,
            alarmDescriptionOverride: this.describe(
              `Function ${name} was throttled (out of concurrency) ${minutes}.`,
              RUNBOOK_SECTIONS.lambdaThrottles,
            ),
          },
        },
      });
      const made = this.monitoring.createdAlarms().slice(before);
      const of = (disambiguator: string) => made.filter((alarm) => alarm.disambiguator === disambiguator);
      alarms[name] = {
        errors: single(of('Errors'), `${name} errors`),
        throttles: single(of('Throttles'), `${name} throttles`),
      };
    }
    return alarms;
  }

  /** The metadata cache, from the API handlers' own Powertools metrics (service dimension). */
  private monitorCache(telemetry: NonNullable<ObservabilityProps['cacheTelemetry']>): cloudwatch.Alarm {
    const limit = this.thresholds.cacheErrorsPerMinute;
    const cacheMetric = (metricName: 'CacheHit' | 'CacheMiss' | 'CacheError') =>
      minuteMetric({
        namespace: telemetry.metricsNamespace,
        metricName,
        dimensionsMap: { service: telemetry.serviceName },
        statistic: 'Sum',
        label: metricName,
      });
    const hitRatio = new cloudwatch.MathExpression({
      expression: '100 * hits / (hits + misses)',
      usingMetrics: { hits: cacheMetric('CacheHit'), misses: cacheMetric('CacheMiss') },
      period: Duration.minutes(1),
      label: 'Hit ratio (%)',
    });
    const summary = `The API counted more than ${limit} cache errors a minute in ${DATAPOINTS_TO_ALARM} of the last ${EVALUATION_MINUTES} minutes: Valkey is unreachable or failing; reads fall back to DynamoDB (slower, costlier).`;
    this.monitoring.monitorCustom({
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
              addAlarm: { Warning: this.above(limit, summary, RUNBOOK_SECTIONS.cacheErrors) },
            },
          ],
        },
      ],
    });
    return single(this.monitoring.createdAlarmsWithDisambiguator('Warning'), 'cache error');
  }

  /** Queues: depth and age of the oldest message. No alarms: the dead-letter alarms live with the queues. */
  private monitorQueues(queues: readonly WatchedQueue[]): void {
    for (const { title, queue, deadLetterQueue } of queues) {
      const names = { humanReadableName: `Queue ${title}`, alarmFriendlyName: `Queue-${title}` };
      if (deadLetterQueue) this.monitoring.monitorSqsQueueWithDlq({ queue, deadLetterQueue, ...names });
      else this.monitoring.monitorSqsQueue({ queue, ...names });
    }
  }

  /** MediaConvert: jobs completed and failed in the platform's queue (dimension `Queue`, its ARN). */
  private monitorMediaConvert(queueArn: string): cloudwatch.Alarm {
    const jobs = (metricName: 'JobsCompletedCount' | 'JobsErroredCount', label: string) =>
      minuteMetric({
        namespace: 'AWS/MediaConvert',
        metricName,
        dimensionsMap: { Queue: queueArn },
        statistic: 'Sum',
        label,
      });
    const summary =
      'A MediaConvert job failed: a video is FAILED and will not play until it is uploaded again or the cause is fixed.';
    this.monitoring.monitorCustom({
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
              // One failed job is one video that will not play: tell someone at once.
              addAlarm: {
                Failed: this.above(0, summary, RUNBOOK_SECTIONS.mediaConvertFailures, {
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                }),
              },
            },
          ],
        },
      ],
    });
    return single(this.monitoring.createdAlarmsWithDisambiguator('Failed'), 'MediaConvert');
  }

  /**
   * CloudFront (metrics in us-east-1, which the library sets): requests, bytes, cache hit rate,
   * 4xx/5xx error rates. Cache hit rate and per-status rates are "additional metrics".
   */
  private monitorCdn(props: ObservabilityProps): cloudfront.CfnMonitoringSubscription | undefined {
    const additionalMetrics = props.additionalCdnMetrics ?? true;
    // Cost: additional metrics are billed like 8 CloudWatch custom metrics per distribution
    // (about $2.40 a month at $0.30 per metric), whatever the traffic.
    const subscription = additionalMetrics
      ? new cloudfront.CfnMonitoringSubscription(this, 'CdnAdditionalMetrics', {
          distributionId: props.distribution.distributionId,
          monitoringSubscription: {
            realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: 'Enabled' },
          },
        })
      : undefined;
    this.monitoring.monitorCloudFrontDistribution({
      distribution: props.distribution,
      additionalMetricsEnabled: additionalMetrics,
      humanReadableName: 'CDN',
      alarmFriendlyName: 'Cdn',
    });
    return subscription;
  }

  /** WAF: blocked (and allowed) requests of each web ACL, all rules together. */
  private monitorWebAcls(webAcls: readonly WatchedWebAcl[]): void {
    if (webAcls.length === 0) return;
    const wafMetric = (acl: WatchedWebAcl, metricName: 'BlockedRequests' | 'AllowedRequests') => {
      const region = acl.scope === 'CLOUDFRONT' ? GLOBAL_METRICS_REGION : (acl.region ?? Stack.of(this).region);
      return minuteMetric({
        namespace: 'AWS/WAFV2',
        metricName,
        dimensionsMap: { WebACL: acl.metricName, Rule: 'ALL', ...(acl.scope === 'REGIONAL' ? { Region: region } : {}) },
        statistic: 'Sum',
        region,
        label: `${acl.title} ${metricName === 'BlockedRequests' ? 'blocked' : 'allowed'}`,
      });
    };
    this.monitoring.monitorCustom({
      humanReadableName: 'Web ACLs',
      alarmFriendlyName: 'WebAcls',
      metricGroups: [
        { title: 'WAF blocked requests', metrics: webAcls.map((acl) => wafMetric(acl, 'BlockedRequests')) },
        { title: 'WAF allowed requests', metrics: webAcls.map((acl) => wafMetric(acl, 'AllowedRequests')) },
      ],
    });
  }
}
