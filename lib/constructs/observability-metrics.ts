import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { AlarmWithAnnotation } from 'cdk-monitoring-constructs';

/** The region CloudFront and CLOUDFRONT-scope WAF metrics live in. */
export const GLOBAL_METRICS_REGION = 'us-east-1';

/** An alarm goes off after this many bad minutes out of the last EVALUATION_MINUTES. */
export const DATAPOINTS_TO_ALARM = 3;
export const EVALUATION_MINUTES = 5;

/** What the dashboard and the alarms read: one-minute data points of one metric. */
export interface MetricOptions {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensionsMap: Record<string, string>;
  readonly statistic: 'Sum' | 'Average';
  readonly label: string;
  /** @default - the stack's region */
  readonly region?: string;
}

export function minuteMetric(options: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ ...options, period: Duration.minutes(1) });
}

/** The one alarm among `alarms`: the monitoring library returns lists. */
export function single(alarms: AlarmWithAnnotation[], what: string): cloudwatch.Alarm {
  const [created] = alarms;
  if (alarms.length !== 1 || !created)
    throw new Error(`Observability: expected one ${what} alarm, made ${alarms.length}`);
  return created.alarm as cloudwatch.Alarm;
}
