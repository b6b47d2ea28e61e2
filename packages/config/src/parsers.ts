import bytes from 'bytes';
import ms from 'ms';
import { z } from 'zod';

// Parsers for settings given as strings (environment variables, flags). Each turns text into a typed value
// or an issue that names what was expected.

export const text = () => z.string();

export const nonEmpty = () => z.string().min(1, 'must not be empty');

export const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const num = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

export const bool = () =>
  z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' }))
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `must be one of ${values.join(', ')}` });

/** A byte size: a number with an optional unit b, kb, mb, gb, tb (powers of 1024). */
export const size = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.string().transform((v, ctx) => {
    const n = /^\d+$/.test(v) ? Number(v) : bytes.parse(v);
    if (n === null || !Number.isFinite(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be a size from ${bytes(min)} to ${bytes(max)} (e.g. 64mb)` });
      return z.NEVER;
    }
    return n;
  });

/** A duration in milliseconds: "250ms", "10s", "5m", "24h", "7d" or a number of milliseconds. */
export const duration = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.string().transform((v, ctx) => {
    const n = /^\d+$/.test(v) ? Number(v) : ms(v as ms.StringValue);
    if (n === undefined || !Number.isFinite(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be a duration from ${ms(min)} to ${ms(max)} (e.g. 10s, 24h)` });
      return z.NEVER;
    }
    return n;
  });

/** A duration, or "never" (and "0") for no limit: Infinity. */
export const retention = () =>
  z.string().transform((v, ctx) => {
    if (v === 'never' || v === '0') return Infinity;
    const n = ms(v as ms.StringValue);
    if (n === undefined || !Number.isFinite(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration (e.g. 24h, 7d) or "never"' });
      return z.NEVER;
    }
    return n;
  });

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[^:\s\[\]]+):(\d{1,5})$/;

/** Whether s is host:port (IPv6 hosts in brackets) with a port from 0 to 65535. */
export function isHostPort(s: string): boolean {
  const m = HOST_PORT.exec(s);
  return m !== null && Number(m[2]) <= 65535;
}

/** host:port. */
export const address = () => z.string().refine(isHostPort, 'must be host:port with a port up to 65535 (e.g. 127.0.0.1:50051)');

/** A static membership list "id=host:port,id=host:port". */
export const members = (o: { allowEmpty?: boolean } = {}) =>
  z.string().transform((v, ctx) => {
    const list = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry) => {
        const eq = entry.indexOf('=');
        return eq > 0 ? { id: entry.slice(0, eq), address: entry.slice(eq + 1) } : { id: '', address: entry };
      });
    const bad = list.find((m) => !m.id || !isHostPort(m.address));
    if (bad || (list.length === 0 && !o.allowEmpty)) {
      ctx.addIssue({ code: 'custom', message: 'must list members as id=host:port, separated by commas' });
      return z.NEVER;
    }
    const ids = new Set(list.map((m) => m.id));
    if (ids.size !== list.length) {
      ctx.addIssue({ code: 'custom', message: 'must not repeat a member id' });
      return z.NEVER;
    }
    return list;
  });
