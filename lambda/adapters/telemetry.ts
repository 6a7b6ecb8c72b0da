import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Powertools' logger, metrics and tracer for one service, created once per container. */
export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** Adds 1 to a count metric. */
  count(name: string): void;
}

/**
 * The names come from the environment the construct sets (`POWERTOOLS_SERVICE_NAME`,
 * `POWERTOOLS_METRICS_NAMESPACE`), else from the handler's own defaults.
 */
export function createTelemetry(
  defaults: { readonly serviceName: string; readonly metricsNamespace: string },
  env: NodeJS.ProcessEnv = process.env,
): Telemetry {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? defaults.serviceName;
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? defaults.metricsNamespace,
    serviceName,
  });
  return {
    logger: new Logger({ serviceName }),
    metrics,
    tracer: new Tracer({ serviceName }),
    count: (name) => metrics.addMetric(name, MetricUnit.Count, 1),
  };
}
