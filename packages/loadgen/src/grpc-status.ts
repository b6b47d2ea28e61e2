/**
 * gRPC status codes as ghz names them (Go's codes.Code.String()), and the mappings the gRPC HTTP/2 spec
 * gives for transport-level failures, so the report's statusCodeDistribution and errorDistribution read like
 * ghz's.
 */
export const STATUS_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  PERMISSION_DENIED: 7,
  UNAUTHENTICATED: 16,
} as const;

/** ghz's name of a status code ("Code(42)" for codes outside the table, as Go prints them). */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `Code(${code})`;
}

/** The error string ghz reports for a failed call: grpc-go's status error text. */
export function errorText(code: number, message: string): string {
  return `rpc error: code = ${statusName(code)} desc = ${message}`;
}

/** grpc-message is percent-encoded on the wire. */
export function decodeGrpcMessage(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The status of a response without grpc-status, from its HTTP status (shared with the cluster's internal client). */
export { statusFromHttp } from '@engram/protocol';

const H2_ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

export function h2ErrorName(code: number): string {
  return H2_ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

/** The status of a stream the server reset (RST_STREAM), per the gRPC HTTP/2 spec. */
export function statusFromRst(errorCode: number): number {
  switch (errorCode) {
    case 7: // REFUSED_STREAM
      return Status.UNAVAILABLE;
    case 8: // CANCEL
      return Status.CANCELLED;
    case 11: // ENHANCE_YOUR_CALM
      return Status.RESOURCE_EXHAUSTED;
    case 12: // INADEQUATE_SECURITY
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}
