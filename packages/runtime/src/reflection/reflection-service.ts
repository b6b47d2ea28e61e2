import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { Server, ServerDuplexStream, ServiceDefinition } from '@grpc/grpc-js';
import { describeFiles, type FileDescriptors, type ProtoSource } from './descriptors.js';

const require = createRequire(import.meta.url);
/** The standard reflection protos, as shipped with @grpc/reflection. */
const REFLECTION_PROTO_DIR = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
const VERSIONS = ['v1', 'v1alpha'] as const;

export const reflectionSources = (): ProtoSource[] =>
  VERSIONS.map((v) => ({ name: `grpc/reflection/${v}/reflection.proto`, path: join(REFLECTION_PROTO_DIR, `grpc/reflection/${v}/reflection.proto`) }));

interface ReflectionRequest {
  host: string;
  messageRequest?: 'fileByFilename' | 'fileContainingSymbol' | 'fileContainingExtension' | 'allExtensionNumbersOfType' | 'listServices';
  fileByFilename?: string;
  fileContainingSymbol?: string;
  fileContainingExtension?: { containingType: string; extensionNumber: number };
  allExtensionNumbersOfType?: string;
}

const NOT_FOUND = 5;

/**
 * grpc.reflection.v1 and v1alpha ServerReflection, answering from descriptors built per source file with their
 * real names and imports (describeFiles), so that grpcurl and ghz can resolve every type, well-known ones
 * included.
 */
export class ReflectionService {
  private readonly descriptors: FileDescriptors;

  constructor(
    sources: readonly ProtoSource[],
    private readonly services: readonly string[],
  ) {
    this.descriptors = describeFiles([...sources, ...reflectionSources()]);
  }

  /** The file and, after it, every file it imports, transitively. */
  private withDependencies(file: string): Uint8Array[] {
    const seen = new Set<string>();
    const order: string[] = [];
    const visit = (name: string) => {
      if (seen.has(name) || !this.descriptors.files.has(name)) return;
      seen.add(name);
      order.push(name);
      for (const dep of this.descriptors.dependencies.get(name) ?? []) visit(dep);
    };
    visit(file);
    return order.map((name) => this.descriptors.files.get(name)!);
  }

  answer(req: ReflectionRequest): Record<string, unknown> {
    const base = { validHost: req.host, originalRequest: req };
    const files = (name: string | undefined) =>
      name ? { ...base, fileDescriptorResponse: { fileDescriptorProto: this.withDependencies(name) } } : undefined;
    const notFound = (what: string) => ({ ...base, errorResponse: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } });
    switch (req.messageRequest) {
      case 'listServices':
        return { ...base, listServicesResponse: { service: this.services.map((name) => ({ name })) } };
      case 'fileByFilename':
        return (this.descriptors.files.has(req.fileByFilename!) ? files(req.fileByFilename) : undefined) ?? notFound(`file ${req.fileByFilename}`);
      case 'fileContainingSymbol':
        return files(this.descriptors.symbols.get(req.fileContainingSymbol!.replace(/^\./, ''))) ?? notFound(`symbol ${req.fileContainingSymbol}`);
      case 'fileContainingExtension':
        return notFound(`extension ${req.fileContainingExtension?.extensionNumber} of ${req.fileContainingExtension?.containingType}`);
      case 'allExtensionNumbersOfType': {
        const known = this.descriptors.symbols.has(req.allExtensionNumbersOfType!);
        return known
          ? { ...base, allExtensionNumbersResponse: { baseTypeName: req.allExtensionNumbersOfType, extensionNumber: [] } }
          : notFound(`type ${req.allExtensionNumbersOfType}`);
      }
      default:
        return { ...base, errorResponse: { errorCode: 3, errorMessage: 'empty reflection request' } };
    }
  }

  addToServer(server: Pick<Server, 'addService'>): void {
    for (const version of VERSIONS) {
      const pkg = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
        includeDirs: [REFLECTION_PROTO_DIR],
        keepCase: false,
        longs: Number,
        enums: String,
        defaults: true,
        oneofs: true,
      });
      const definition = pkg[`grpc.reflection.${version}.ServerReflection`] as unknown as ServiceDefinition;
      server.addService(definition, {
        ServerReflectionInfo: (stream: ServerDuplexStream<ReflectionRequest, unknown>) => {
          stream.on('data', (req: ReflectionRequest) => stream.write(this.answer(req)));
          stream.on('end', () => stream.end());
          stream.on('error', () => stream.end());
        },
      });
    }
  }
}

/** Names of the reflection services, for list_services. */
export const REFLECTION_SERVICES = VERSIONS.map((v) => `grpc.reflection.${v}.ServerReflection`);
