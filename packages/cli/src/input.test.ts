import { describe, expect, it } from 'vitest';
import { inputError } from './testing.js';
import {
  memoryInputFromFlags,
  memoryInputFromRecord,
  parseDuration,
  parseInteger,
  parseJsonLine,
  parseKeyValue,
  parseLayer,
  parseNumber,
  parseTime,
  parseWeights,
  toDuration,
} from './input.js';


const T = Date.parse('2024-05-01T10:00:00Z');

describe('parseJsonLine', () => {
  it('reads a camelCase record into a MemoryInput', () => {
    const line = JSON.stringify({
      id: 'm-1',
      subject: 'alice',
      content: 'Alice loves green tea',
      kind: 'message',
      tags: ['drink', 'likes'],
      attributes: { source: 'chat' },
      layer: 'logic',
      importance: 0.8,
      valence: -0.5,
      arousal: 0.25,
      occurredAt: '2024-05-01T10:00:00Z',
      ttl: '10m',
    });
    expect(parseJsonLine(line)).toEqual({
      id: 'm-1',
      subject: 'alice',
      content: 'Alice loves green tea',
      kind: 'message',
      tags: ['drink', 'likes'],
      attributes: { source: 'chat' },
      layer: 'LAYER_LOGIC',
      importance: 0.8,
      valence: -0.5,
      arousal: 0.25,
      occurredAt: { seconds: T / 1000, nanos: 0 },
      ttl: { seconds: 600, nanos: 0 },
    });
  });

  it('reads snake_case fields the same as camelCase', () => {
    const snake = parseJsonLine(JSON.stringify({ subject: 's', content: 'c', occurred_at: T, expires_at: T + 1, evidence_ids: ['a'] }));
    const camel = parseJsonLine(JSON.stringify({ subject: 's', content: 'c', occurredAt: T, expiresAt: T + 1, evidenceIds: ['a'] }));
    expect(snake).toEqual(camel);
    expect(snake.occurredAt).toEqual({ seconds: T / 1000, nanos: 0 });
    expect(snake.expiresAt).toEqual({ seconds: T / 1000, nanos: 1_000_000 });
  });

  it('takes times as ISO strings or epoch milliseconds and ttl as a duration or milliseconds', () => {
    expect(parseJsonLine('{"occurredAt":"2024-05-01T10:00:00.000Z"}').occurredAt).toEqual(parseJsonLine(`{"occurredAt":${T}}`).occurredAt);
    expect(parseJsonLine('{"ttl":"24h"}').ttl).toEqual({ seconds: 86_400, nanos: 0 });
    expect(parseJsonLine('{"ttl":1500}').ttl).toEqual({ seconds: 1, nanos: 500_000_000 });
  });

  it('accepts a layer as a short name, an enum name or an enum number', () => {
    expect(parseJsonLine('{"layer":"dream"}').layer).toBe('LAYER_DREAM');
    expect(parseJsonLine('{"layer":"LAYER_ETERNAL"}').layer).toBe('LAYER_ETERNAL');
    expect(parseJsonLine('{"layer":2}').layer).toBe('LAYER_EMOTION');
    expect(inputError(() => parseJsonLine('{"layer":"deep"}'))).toMatch(/^layer: must be one of sensory/);
    expect(inputError(() => parseJsonLine('{"layer":9}'))).toMatch(/^layer: must be a layer name/);
  });

  it('treats null as unset and leaves absent fields absent', () => {
    expect(parseJsonLine('{"subject":"s","content":"c","kind":null,"importance":null}')).toEqual({ subject: 's', content: 'c' });
  });

  it('passes an empty subject on: the server decides what is valid', () => {
    expect(parseJsonLine('{"subject":"","content":"x"}')).toEqual({ subject: '', content: 'x' });
  });

  it('turns scalar attribute values into strings', () => {
    expect(parseJsonLine('{"attributes":{"n":1,"ok":true,"s":"x"}}').attributes).toEqual({ n: '1', ok: 'true', s: 'x' });
  });

  it('refuses a line that is not JSON, or not a JSON object', () => {
    expect(inputError(() => parseJsonLine('{not json'))).toMatch(/^invalid JSON: /);
    expect(inputError(() => parseJsonLine(''))).toMatch(/^invalid JSON: /);
    for (const line of ['[1,2]', '"text"', '42', 'null']) expect(inputError(() => parseJsonLine(line))).toBe('must be a JSON object');
  });

  it('refuses unknown fields and a field given in both spellings', () => {
    expect(inputError(() => parseJsonLine('{"subject":"s","contnet":"typo"}'))).toMatch(/^unknown field "contnet"/);
    expect(inputError(() => parseJsonLine('{"occurredAt":1,"occurred_at":2}'))).toBe('"occurredAt" and "occurred_at" name the same field');
  });

  it('names the field of a value of the wrong type or out of range', () => {
    expect(inputError(() => parseJsonLine('{"subject":7}'))).toBe('subject: must be a string');
    expect(inputError(() => parseJsonLine('{"tags":"a,b"}'))).toBe('tags: must be an array of strings');
    expect(inputError(() => parseJsonLine('{"tags":["a",1]}'))).toBe('tags: must be an array of strings');
    expect(inputError(() => parseJsonLine('{"importance":"high"}'))).toBe('importance: must be a number');
    expect(inputError(() => parseJsonLine('{"importance":1.5}'))).toBe('importance: must be from 0 to 1, got 1.5');
    expect(inputError(() => parseJsonLine('{"valence":-2}'))).toBe('valence: must be from -1 to 1, got -2');
    expect(inputError(() => parseJsonLine('{"attributes":{"a":{"b":1}}}'))).toBe('attributes.a: must be a string');
    expect(inputError(() => parseJsonLine('{"occurred_at":"yesterday"}'))).toMatch(/^occurred_at: must be an ISO 8601 date/);
    expect(inputError(() => parseJsonLine('{"ttl":"soon"}'))).toMatch(/^ttl: must be a positive duration/);
    expect(inputError(() => parseJsonLine('{"ttl":0}'))).toMatch(/^ttl: must be a positive number/);
    expect(inputError(() => parseJsonLine('{"embedding":[1,"x"]}'))).toBe('embedding: must be an array of numbers');
  });

  it('does not let a record reach Object.prototype through its keys', () => {
    expect(inputError(() => memoryInputFromRecord(JSON.parse('{"__proto__":{"x":1}}')))).toMatch(/^unknown field "__proto__"/);
    expect(inputError(() => parseJsonLine('{"constructor":"x"}'))).toMatch(/^unknown field "constructor"/);
  });
});

describe('memoryInputFromFlags', () => {
  it('sets only the flags that were given', () => {
    expect(memoryInputFromFlags('alice', 'hello there', {})).toEqual({ subject: 'alice', content: 'hello there' });
  });

  it('builds every field from parsed flags', () => {
    const input = memoryInputFromFlags('alice', 'hi', {
      id: 'x',
      kind: 'message',
      tag: ['a', 'b'],
      attr: [
        ['k', 'v'],
        ['url', 'a=b'],
      ],
      layer: 'LAYER_ETERNAL',
      importance: 1,
      valence: -1,
      arousal: 0,
      ttl: 90_000,
      occurredAt: T,
    });
    expect(input).toEqual({
      subject: 'alice',
      content: 'hi',
      id: 'x',
      kind: 'message',
      tags: ['a', 'b'],
      attributes: { k: 'v', url: 'a=b' },
      layer: 'LAYER_ETERNAL',
      importance: 1,
      valence: -1,
      arousal: 0,
      ttl: { seconds: 90, nanos: 0 },
      occurredAt: { seconds: T / 1000, nanos: 0 },
    });
  });

  it('refuses an attribute given twice and scores out of range', () => {
    expect(inputError(() => memoryInputFromFlags('s', 'c', { attr: [['k', '1'], ['k', '2']] }))).toBe('--attr: attribute "k" is given twice');
    expect(inputError(() => memoryInputFromFlags('s', 'c', { arousal: 2 }))).toBe('--arousal: must be from 0 to 1, got 2');
  });
});

describe('flag parsers', () => {
  it('parseDuration reads ms-style durations and plain milliseconds', () => {
    expect(parseDuration('10m', '--ttl')).toBe(600_000);
    expect(parseDuration('24h', '--ttl')).toBe(86_400_000);
    expect(parseDuration('7d', '--ttl')).toBe(7 * 86_400_000);
    expect(parseDuration('250', '--ttl')).toBe(250);
    for (const bad of ['', 'abc', '0', '-5m', '10 parsecs']) expect(inputError(() => parseDuration(bad, '--ttl'))).toMatch(/^--ttl: must be a positive duration/);
  });

  it('toDuration splits milliseconds into seconds and nanos', () => {
    expect(toDuration(1)).toEqual({ seconds: 0, nanos: 1_000_000 });
    expect(toDuration(61_250)).toEqual({ seconds: 61, nanos: 250_000_000 });
  });

  it('parseTime reads ISO dates and date-times, nothing vaguer', () => {
    expect(parseTime('2024-05-01T10:00:00Z', '--since')).toBe(T);
    expect(parseTime('2024-05-01T12:00:00+02:00', '--since')).toBe(T);
    expect(parseTime('2024-05-01', '--since')).toBe(Date.parse('2024-05-01'));
    for (const bad of ['yesterday', '12', '2024-13-45', '']) expect(inputError(() => parseTime(bad, '--since'))).toMatch(/^--since: must be an ISO 8601 date/);
  });

  it('parseKeyValue splits at the first "="', () => {
    expect(parseKeyValue('a=b=c', '--attr')).toEqual(['a', 'b=c']);
    expect(parseKeyValue('empty=', '--attr')).toEqual(['empty', '']);
    expect(inputError(() => parseKeyValue('=x', '--attr'))).toBe('--attr: must be key=value, got "=x"');
    expect(inputError(() => parseKeyValue('novalue', '--attr'))).toBe('--attr: must be key=value, got "novalue"');
  });

  it('parseLayer takes the five storable layers in any case', () => {
    expect(parseLayer('sensory', '--layer')).toBe('LAYER_SENSORY');
    expect(parseLayer('Emotion', '--layer')).toBe('LAYER_EMOTION');
    expect(parseLayer('LAYER_LOGIC', '--layer')).toBe('LAYER_LOGIC');
    expect(inputError(() => parseLayer('unspecified', '--layer'))).toMatch(/^--layer: must be one of sensory, emotion, logic, dream, eternal/);
    expect(inputError(() => parseLayer('3', '--layer'))).toMatch(/^--layer: must be one of/);
  });

  it('parseWeights reads short and long names; unset weights stay unset', () => {
    expect(parseWeights('rec=1,imp=1,rel=1,act=0.5')).toEqual({ recency: 1, importance: 1, relevance: 1, activation: 0.5 });
    expect(parseWeights('relevance=2, recency=0')).toEqual({ relevance: 2, recency: 0 });
    expect(inputError(() => parseWeights('foo=1'))).toBe('--weights: unknown weight "foo" (use rec, imp, rel, act)');
    expect(inputError(() => parseWeights('rel=1,relevance=2'))).toBe('--weights: relevance is given twice');
    expect(inputError(() => parseWeights('rel=x'))).toBe('--weights rel: must be a number');
    expect(inputError(() => parseWeights('rel'))).toBe('--weights: must be key=value, got "rel"');
    expect(inputError(() => parseWeights(','))).toMatch(/^--weights: must name at least one weight/);
  });

  it('parseNumber and parseInteger check format and range', () => {
    expect(parseNumber('0.25', '--importance', 0, 1)).toBe(0.25);
    expect(parseNumber('-1', '--valence', -1, 1)).toBe(-1);
    expect(inputError(() => parseNumber('1e', '--importance', 0, 1))).toBe('--importance: must be a number');
    expect(inputError(() => parseNumber('', '--importance', 0, 1))).toBe('--importance: must be a number');
    expect(inputError(() => parseNumber('1.01', '--importance', 0, 1))).toBe('--importance: must be from 0 to 1, got 1.01');
    expect(parseInteger('500', '--batch-size', 1, 1000)).toBe(500);
    expect(inputError(() => parseInteger('2.5', '--batch-size', 1, 1000))).toBe('--batch-size: must be a whole number');
    expect(inputError(() => parseInteger('0', '--batch-size', 1, 1000))).toBe('--batch-size: must be from 1 to 1000, got 0');
  });
});
