import { Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { checkRunbookUrl } from '../runbook';

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
   * Where docs/runbook.md is published, as an absolute https URL: each alarm's description then
   * ends with a link to its section, `<runbookUrl>#<section>`. The descriptions carry the
   * section's name and steps either way, read from docs/runbook.md at synth time.
   * @default - no link
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

function checkPercent(what: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    throw new Error(`Observability: ${what} must be a percentage above 0 and at most 100, received ${value}`);
  }
}

/** The thresholds with their defaults, checked. */
export interface ObservabilityThresholds {
  readonly api5xxPercent: number;
  readonly cacheErrorsPerMinute: number;
  readonly runbookUrl?: string;
}

/** Refuses props that would make a wrong or unreadable dashboard, saying what was received. */
export function checkObservabilityProps(props: ObservabilityProps): ObservabilityThresholds {
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
  return { api5xxPercent, cacheErrorsPerMinute, runbookUrl: checkRunbookUrl('Observability', props.runbookUrl) };
}
