import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTelemetry } from './otel.js';

describe('startTelemetry without OTEL_* variables', () => {
  it('records no spans and registers no context manager (nothing would read it; it would track every promise)', async () => {
    for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k];
    const t = startTelemetry('test');
    expect(t.tracing).toBe(false);
    const key = createContextKey('probe');
    const seen = await context.with(ROOT_CONTEXT.setValue(key, 1), () => Promise.resolve().then(() => context.active().getValue(key)));
    expect(seen).toBeUndefined();
    expect(trace.getTracer('probe').startSpan('s').isRecording()).toBe(false);
  });
});
