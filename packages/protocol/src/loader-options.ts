import type { Options } from '@grpc/proto-loader';

/**
 * The one set of proto-loader options: runtime loading and type generation (scripts/gen-types.mjs) must agree,
 * or the generated types lie about the decoded objects.
 */
export const LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
