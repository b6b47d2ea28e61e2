// Imported first by main.ts: the OpenTelemetry SDK starts before any other module runs.
import { startTelemetry } from '@engram/telemetry';

startTelemetry('memory-shard');
