import { hostname } from 'node:os';
import { address, bool, duration, int, oneOf, text } from '../parsers.js';
import { group, setting } from '../setting.js';

/** Settings every node has. The listen default differs per service. */
export const nodeGroup = (defaultListen: string) =>
  group({
    title: 'Node',
    settings: {
      id: setting(
        'ENGRAM_NODE_ID',
        '',
        'Stable node id used on the hash ring (a StatefulSet pod name); empty = the host name',
        text().transform((v) => v || hostname()),
      ),
      listen: setting('ENGRAM_LISTEN', defaultListen, 'Address the gRPC server binds (port 0 = any free port)', address()),
      logLevel: setting(
        'ENGRAM_LOG_LEVEL',
        'info',
        'Log level of the JSON log on stdout',
        oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
      ),
      maxInFlight: setting(
        'ENGRAM_MAX_IN_FLIGHT',
        '4096',
        'Calls a node serves at once; beyond this it sheds load, answering RESOURCE_EXHAUSTED at once',
        int(1, 1_000_000),
      ),
      shutdownGrace: setting(
        'ENGRAM_SHUTDOWN_GRACE',
        '10s',
        'On SIGTERM/SIGINT, how long in-flight calls may take to finish before they are cancelled',
        duration(0, 600_000),
      ),
      stopWithParent: setting(
        'ENGRAM_STOP_WITH_PARENT',
        'false',
        'Stop (as on SIGTERM) when the parent process goes away; the local cluster launcher sets it, so its nodes never outlive it',
        bool(),
      ),
      fastPath: setting(
        'ENGRAM_FAST_PATH',
        'true',
        'Serve unary calls on node:http2 directly instead of through grpc-js\'s per-call machinery (about 25 % less CPU per call); false sends every call through grpc-js. Calls take grpc-js\'s path anyway while tracing is on',
        bool(),
      ),
    },
  });
