import type { ShardConfig } from '@engram/config';

/** classic-level open options from the storage settings (the seed's BadgerOptions). */
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
