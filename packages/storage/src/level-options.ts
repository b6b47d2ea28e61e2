import type { ShardConfig } from '@engram/config';

/**
 * classic-level open options from the storage settings (the seed's BadgerOptions). What they cost in memory, besides
 * the engine's record cache (ENGRAM_CACHE_MAX_BYTES):
 * - cacheSize: LevelDB's block cache of uncompressed blocks, malloc'd (a configured cache);
 * - writeBufferSize: the memtable; one filling and one being flushed can be in memory at once (2x);
 * - maxOpenFiles: the table cache. LevelDB (1.20, classic-level's) mmaps the table files it opens on 64-bit, so an
 *   open table's pages count in the process's resident memory as reads and compactions touch them, up to
 *   (maxOpenFiles - 10) x maxFileSize; evicting a table from the table cache unmaps it. The defaults keep that to
 *   64 tables of 2 MiB: at 1,000,000 memories (~500 MB of tables) ~10 MiB mapped after random reads, where 1000
 *   open files of 4 MiB let the mapped pages grow toward the whole store (~200 MiB after 10 s of random Recalls).
 */
export function levelOptions(storage: ShardConfig['storage']) {
  return {
    keyEncoding: 'utf8' as const,
    valueEncoding: 'view' as const,
    createIfMissing: true,
    cacheSize: storage.blockCacheSize,
    writeBufferSize: storage.writeBufferSize,
    blockSize: storage.blockSize,
    maxOpenFiles: storage.maxOpenFiles,
    maxFileSize: storage.maxFileSize,
    blockRestartInterval: storage.blockRestartInterval,
    compression: storage.compression === 'snappy',
  };
}
