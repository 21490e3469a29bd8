import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

/**
 * Starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-specific variable)
 * is set, exporting spans over OTLP/HTTP. Without an endpoint nothing is started and the
 * @opentelemetry/api calls elsewhere stay no-ops. Returns a function that flushes and stops the SDK.
 */
export function startTelemetry(serviceName: string, environment: Record<string, string | undefined> = process.env): () => Promise<void> {
  const endpoint = environment['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? environment['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (endpoint === undefined || endpoint === '') return async () => {};

  const sdk = new NodeSDK({ serviceName, traceExporter: new OTLPTraceExporter() });
  sdk.start();
  return () => sdk.shutdown();
}
