import { describe, expect, it } from 'vitest';
import { DataTemplate, StringTemplate, TemplateError, randomInt, type CallContext } from './template.js';

const ctx = (requestNumber: number, workerId = 'w0s1'): CallContext => ({
  requestNumber,
  workerId,
  method: { fullName: 'engram.v1.MemoryService.Remember', name: 'Remember', service: 'engram.v1.MemoryService', input: 'RememberRequest', output: 'RememberResponse' },
});

describe('StringTemplate', () => {
  it('expands call fields', () => {
    const t = new StringTemplate('n={{.RequestNumber}} w={{ .WorkerID }} m={{.MethodName}} in={{.InputName}}');
    expect(t.expand(ctx(42))).toBe('n=42 w=w0s1 m=Remember in=RememberRequest');
    expect(t.dynamic).toBe(true);
    expect(t.perCall).toBe(true);
  });

  it('expands randomString and randomInt within their bounds', () => {
    const s = new StringTemplate('{{randomString 16}}');
    const i = new StringTemplate('s{{randomInt 3 6}}');
    expect(s.perCall).toBe(false);
    for (let k = 0; k < 200; k++) {
      expect(s.expand(ctx(k))).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(['s3', 's4', 's5']).toContain(i.expand(ctx(k)));
    }
    expect(randomInt(5, 5)).toBe(5);
  });

  it('leaves text without actions alone and rejects unknown actions', () => {
    const plain = new StringTemplate('just text {not a template}');
    expect(plain.dynamic).toBe(false);
    expect(plain.expand(ctx(1))).toBe('just text {not a template}');
    expect(() => new StringTemplate('{{.Nope}}')).toThrow(TemplateError);
    expect(() => new StringTemplate('{{randomInt 1}}')).toThrow(TemplateError);
    expect(() => new StringTemplate('{{sprintf "x"}}')).toThrow(TemplateError);
  });

  it('gives timestamps of now', () => {
    const unix = Number(new StringTemplate('{{.TimestampUnix}}').expand(ctx(0)));
    expect(Math.abs(unix - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('DataTemplate', () => {
  it('expands strings anywhere in the data and keeps other values', () => {
    const t = new DataTemplate({ memory: { subject: 's{{.RequestNumber}}', tags: ['a', 't{{.RequestNumber}}'], importance: 0.5, ok: true } });
    expect(t.dynamic).toBe(true);
    expect(t.expand(ctx(7))).toEqual({ memory: { subject: 's7', tags: ['a', 't7'], importance: 0.5, ok: true } });
    expect(new DataTemplate({ a: 'b', n: 1 }).dynamic).toBe(false);
  });
});
