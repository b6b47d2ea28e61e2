import { bool, duration, int, oneOf, size, text } from '../parsers.js';
import { group, setting } from '../setting.js';

/**
 * The seed's BadgerOptions, played by LevelDB through classic-level. NumLevelZeroTables (4),
 * NumLevelZeroTablesStall (8 slowdown, 12 stop) and LevelSizeMultiplier (10) are compiled into LevelDB and not
 * settable; the README's mapping table says so.
 */
export const storageGroup = group({
  title: 'Storage (BadgerOptions → LevelDB)',
  seed: 'BadgerOptions',
  settings: {
    dataDir: setting('ENGRAM_DATA_DIR', '', 'Directory of this shard\'s LevelDB store; empty = ./data/<node id>', text()),
    blockCacheSize: setting(
      'ENGRAM_STORAGE_BLOCK_CACHE_SIZE',
      '64mb',
      'LevelDB block cache of uncompressed blocks (BlockCacheSize; classic-level cacheSize)',
      size(0, 64 * 2 ** 30),
    ),
    writeBufferSize: setting(
      'ENGRAM_STORAGE_WRITE_BUFFER_SIZE',
      '4mb',
      'Memtable size before it is flushed to a level-0 table (MemoryLimit / NumMemtables); two may be in memory, besides the caches: a shard holds up to 2x this',
      size(64 * 1024, 4 * 2 ** 30),
    ),
    blockSize: setting('ENGRAM_STORAGE_BLOCK_SIZE', '4kb', 'Approximate uncompressed size of a table block', size(1024, 4 * 2 ** 20)),
    maxOpenFiles: setting(
      'ENGRAM_STORAGE_MAX_OPEN_FILES',
      '74',
      'Files LevelDB may keep open: this - 10 table files (74, the least LevelDB takes, is 64 tables). LevelDB maps an open table into memory and its pages count in the shard\'s resident memory as they are read, up to (this - 10) x ENGRAM_STORAGE_MAX_FILE_SIZE',
      int(74, 1_000_000),
    ),
    maxFileSize: setting(
      'ENGRAM_STORAGE_MAX_FILE_SIZE',
      '2mb',
      'Bytes written to a table file before starting the next (with ENGRAM_STORAGE_MAX_OPEN_FILES, bounds the table files mapped into memory)',
      size(64 * 1024, 2 ** 30),
    ),
    blockRestartInterval: setting(
      'ENGRAM_STORAGE_BLOCK_RESTART_INTERVAL',
      '16',
      'Keys between restart points of prefix compression in a block',
      int(1, 1024),
    ),
    compression: setting(
      'ENGRAM_STORAGE_COMPRESSION',
      'snappy',
      'Block compression (CompressionLevel: none, or snappy, the only codec LevelDB has)',
      oneOf(['snappy', 'none']),
    ),
    sync: setting(
      'ENGRAM_STORAGE_SYNC',
      'true',
      'fsync each write batch before acknowledging its writes (false: the OS flushes later; a crash may lose the last writes)',
      bool(),
    ),
    payloadDeflateThreshold: setting(
      'ENGRAM_STORAGE_PAYLOAD_DEFLATE_THRESHOLD',
      '1kb',
      'Payloads larger than this are stored deflated',
      size(0, 2 ** 30),
    ),
    postingSegmentPostings: setting(
      'ENGRAM_STORAGE_POSTING_SEGMENT',
      '8192',
      'Postings (terms of new memories) kept in memory before they are written as one posting block per term and subject; a journal entry per write batch lets a restart rebuild them',
      int(1, 2 ** 24),
    ),
    postingSegmentMaxAge: setting(
      'ENGRAM_STORAGE_POSTING_SEGMENT_MAX_AGE',
      '10s',
      'Longest time new postings stay in memory before they are written as blocks (bounds what a restart rebuilds)',
      duration(10, 3_600_000),
    ),
    compactionInterval: setting(
      'ENGRAM_STORAGE_COMPACTION_INTERVAL',
      '10m',
      'How often key ranges freed by expiry and forgetting are compacted (0 = never)',
      duration(0, 7 * 86_400_000),
    ),
  },
});
