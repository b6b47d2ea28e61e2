import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { Server, ServerCredentials, type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { CONNECTION_WINDOW_BYTES, PROTO_ROOT } from '@engram/protocol';
import type { Logger } from '@engram/telemetry';
import { InFlightLimit } from './load-shedding.js';
import { instrumentService } from './rpc-telemetry.js';
import { nodeMetrics, telemetry } from '@engram/telemetry';
import { FastUnaryServer } from './fast-unary.js';
import { REFLECTION_SERVICES, ReflectionService } from './reflection/reflection-service.js';

export interface ServedService {
  /** Fully-qualified name, e.g. "engram.v1.MemoryService". */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface NodeServerOptions {
  listen: string;
  /** Calls served at once before shedding load (RESOURCE_EXHAUSTED). */
  maxInFlight: number;
  services: ServedService[];
  /** Proto files that define the services, for server reflection. */
  protoFiles: readonly string[];
  maxMessageBytes: number;
  logger: Logger;
  /** More fields of the "listening" log line (such as the metrics address). */
  announce?: Record<string, unknown>;
  /**
   * Serve the services' unary calls on node:http2 directly (FastUnaryServer) rather than through grpc-js's call
   * machinery; default true. grpc-js still serves everything else, and every call while tracing is on.
   */
  fastPath?: boolean;
}

const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * A node's gRPC server: its services plus grpc.health.v1 Health and server reflection, so grpcurl, ghz and
 * clients in any language need nothing but the address. Health says NOT_SERVING until started and again from
 * the moment shutdown begins.
 */
export class NodeServer {
  private readonly server: Server;
  private readonly health: HealthImplementation;
  private readonly names: string[];
  readonly inFlight: InFlightLimit;
  readonly fast: FastUnaryServer;
  port = 0;

  constructor(private readonly options: NodeServerOptions) {
    this.server = new Server({
      'grpc.max_receive_message_length': options.maxMessageBytes,
      'grpc.max_send_message_length': options.maxMessageBytes,
    });
    this.names = options.services.map((s) => s.name);
    this.health = new HealthImplementation(Object.fromEntries(['', ...this.names].map((n) => [n, 'NOT_SERVING'])));
    this.inFlight = new InFlightLimit(options.maxInFlight);
    this.fast = new FastUnaryServer({
      maxReceiveBytes: options.maxMessageBytes,
      maxSendBytes: options.maxMessageBytes,
      // grpc-js's path carries the trace context and spans.
      enabled: () => !telemetry()?.tracing,
    });
    for (const s of options.services) {
      // Tracing and metrics outermost, so calls shed for load are counted too.
      const implementation = instrumentService(s.name, this.inFlight.wrap(s.implementation));
      this.server.addService(s.definition, implementation);
      if (options.fastPath !== false) this.fast.addService(s.definition as Record<string, MethodDefinition<unknown, unknown>>, implementation);
    }
    nodeMetrics().observe({ inFlight: () => this.inFlight.inFlight });
    this.health.addToServer(this.server);
    new ReflectionService(
      [
        ...options.protoFiles.map((name) => ({ name, path: `${PROTO_ROOT}/${name}` })),
        { name: 'grpc/health/v1/health.proto', path: healthProtoPath },
      ],
      [...this.names, HEALTH_SERVICE, ...REFLECTION_SERVICES],
    ).addToServer(this.server);
  }

  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(this.options.listen, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    widenFlowControlWindows(this.server, this.options.logger);
    if (this.fast.methods.length > 0) takeUnaryCalls(this.server, this.fast, this.options.logger);
    this.setServing(true);
    const host = this.options.listen.slice(0, this.options.listen.lastIndexOf(':'));
    this.options.logger.info({ address: `${host}:${this.port}`, port: this.port, services: this.names, ...this.options.announce }, 'listening');
    return this.port;
  }

  setServing(serving: boolean): void {
    for (const name of ['', ...this.names]) this.health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** Stops accepting calls, lets in-flight ones finish for up to graceMs, then cancels the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.options.logger.warn({ graceMs }, 'grace period over: cancelling in-flight calls');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}


/** The http2 servers grpc-js keeps (private), or undefined if its internals changed. */
function http2ServersOf(server: Server): EventEmitter[] | undefined {
  const servers = (server as unknown as { http2Servers?: Map<EventEmitter, unknown> }).http2Servers;
  return servers instanceof Map && servers.size > 0 ? [...servers.keys()] : undefined;
}

/**
 * Puts the fast path in front of grpc-js: each new stream is offered to it first, and what it does not take goes to
 * grpc-js's own stream listener as before. Without grpc-js's http2 servers (a grpc-js change) everything stays on
 * grpc-js, which works, and the node says so once.
 */
function takeUnaryCalls(server: Server, fast: FastUnaryServer, logger: NodeServerOptions['logger']): void {
  const servers = http2ServersOf(server);
  if (!servers) {
    logger.warn('cannot serve unary calls on the fast path (grpc-js internals changed): grpc-js serves them');
    return;
  }
  for (const http2Server of servers) {
    const grpcJs = http2Server.listeners('stream') as ((stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void)[];
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
      if (fast.handle(stream, headers)) return;
      for (const listener of grpcJs) listener.call(http2Server, stream, headers, ...rest);
    });
  }
}

/**
 * grpc-js has no server option for the connection window (only clients have grpc-node.flow_control_window), so each
 * new session is widened as it opens, through the http2 servers grpc-js keeps. Without them (a grpc-js change), the
 * node still works with the default window, and says so once.
 */
function widenFlowControlWindows(server: Server, logger: NodeServerOptions['logger']): void {
  const servers = http2ServersOf(server);
  if (!servers) {
    logger.warn('cannot widen HTTP/2 flow-control windows (grpc-js internals changed): using the 64 KiB default');
    return;
  }
  for (const http2Server of servers) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      } catch (err) {
        logger.warn({ err }, 'cannot widen an HTTP/2 session window');
      }
    });
  }
}
