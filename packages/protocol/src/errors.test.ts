import { describe, expect, it, vi } from 'vitest';
import {
  EngramError,
  alreadyExists,
  cancelled,
  deadlineExceeded,
  failedPrecondition,
  invalidArgument,
  isEngramError,
  notFound,
  permissionDenied,
  resourceExhausted,
  statusName,
  toServiceError,
  unauthenticated,
  unavailable,
} from '@engram/protocol';

describe('EngramError', () => {
  it('is an Error carrying a status code', () => {
    const err = new EngramError(5, 'no such memory');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('EngramError');
    expect(err.code).toBe(5);
    expect(err.message).toBe('no such memory');
    expect(isEngramError(err)).toBe(true);
  });

  it('keeps its cause', () => {
    const cause = new Error('disk on fire');
    expect(new EngramError(14, 'down', { cause }).cause).toBe(cause);
    expect(unavailable('down', cause).cause).toBe(cause);
    expect(deadlineExceeded('slow', cause).cause).toBe(cause);
  });

  it('is told apart from other errors', () => {
    expect(isEngramError(new Error('x'))).toBe(false);
    expect(isEngramError({ code: 3, message: 'x' })).toBe(false);
    expect(isEngramError(undefined)).toBe(false);
  });
});

describe('error helpers', () => {
  it('invalidArgument names the field first', () => {
    const err = invalidArgument('memory.subject', 'must not be empty');
    expect(err.code).toBe(3);
    expect(err.message).toBe('memory.subject: must not be empty');
  });

  it.each([
    [cancelled, 1, 'CANCELLED'],
    [deadlineExceeded, 4, 'DEADLINE_EXCEEDED'],
    [notFound, 5, 'NOT_FOUND'],
    [alreadyExists, 6, 'ALREADY_EXISTS'],
    [permissionDenied, 7, 'PERMISSION_DENIED'],
    [resourceExhausted, 8, 'RESOURCE_EXHAUSTED'],
    [failedPrecondition, 9, 'FAILED_PRECONDITION'],
    [unavailable, 14, 'UNAVAILABLE'],
    [unauthenticated, 16, 'UNAUTHENTICATED'],
  ] as const)('%o gives code %i (%s) and keeps the message', (make, code, name) => {
    const err = make('something happened');
    expect(err).toBeInstanceOf(EngramError);
    expect(err.code).toBe(code);
    expect(err.message).toBe('something happened');
    expect(statusName(err.code)).toBe(name);
  });
});

describe('statusName', () => {
  it('names gRPC status codes', () => {
    expect(statusName(0)).toBe('OK');
    expect(statusName(2)).toBe('UNKNOWN');
    expect(statusName(3)).toBe('INVALID_ARGUMENT');
  });

  it('falls back to CODE_n for unknown codes', () => {
    expect(statusName(99)).toBe('CODE_99');
  });
});

describe('toServiceError', () => {
  it('keeps the code and message of an EngramError and reports nothing', () => {
    const report = vi.fn();
    const out = toServiceError(invalidArgument('memory.id', 'bad'), '/engram.v1.MemoryService/Remember', report);
    expect(out.code).toBe(3);
    expect(out.details).toBe('memory.id: bad');
    expect(out.metadata).toBeDefined();
    expect(report).not.toHaveBeenCalled();
  });

  it('turns a plain Error into UNKNOWN with a reference, and reports it with that reference', () => {
    const report = vi.fn();
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const out = toServiceError(bug, '/engram.v1.MemoryService/Query', report);
    expect(out.code).toBe(2);
    const match = /^internal error \(reference ([0-9a-f-]{36})\)$/.exec(out.details ?? '');
    expect(match).not.toBeNull();
    expect(report).toHaveBeenCalledTimes(1);
    expect(report).toHaveBeenCalledWith(bug, match![1], '/engram.v1.MemoryService/Query');
  });

  it('does not leak the internal message to the client', () => {
    const out = toServiceError(new Error('password=hunter2'), 'm', () => undefined);
    expect(out.details).not.toContain('hunter2');
  });

  it('handles thrown non-errors as bugs too', () => {
    const report = vi.fn();
    expect(toServiceError('a string', 'm', report).code).toBe(2);
    expect(toServiceError(undefined, 'm', report).code).toBe(2);
    expect(report).toHaveBeenCalledTimes(2);
    expect(report.mock.calls[0]![0]).toBe('a string');
  });

  it('gives every bug its own reference', () => {
    const refs = new Set<string>();
    const report = (_err: unknown, reference: string) => void refs.add(reference);
    for (let i = 0; i < 20; i++) toServiceError(new Error('x'), 'm', report);
    expect(refs.size).toBe(20);
  });
});
