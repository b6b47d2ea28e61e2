// Generates TypeScript types from proto/ with the same options the runtime loader uses (src/loader-options.ts).
// Skips the work when the generated tree is newer than every proto file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const protoRoot = join(here, '..', '..', '..', 'proto');
const outDir = join(here, '..', 'src', 'generated');
const stamp = join(outDir, 'index-stamp.ts');

function protoFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? protoFiles(join(dir, e.name)) : e.name.endsWith('.proto') ? [join(dir, e.name)] : [],
  );
}

const files = protoFiles(protoRoot);
const newest = Math.max(...files.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest) process.exit(0);

rmSync(outDir, { recursive: true, force: true });
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');
const args = [
  bin,
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--includeComments',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.js',
  `--outDir=${outDir}`,
  `--includeDirs=${protoRoot}`,
  '--',
  ...files.map((f) => relative(protoRoot, f)),
];
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
// The per-file index of a proto without services declares nothing it uses; it is not needed.
for (const f of files) {
  if (!/^service /m.test(readFileSync(f, 'utf8'))) rmSync(join(outDir, basename(f, '.proto') + '.ts'), { force: true });
}
writeFileSync(stamp, '// Generated: marks when proto-loader-gen-types last ran.\nexport const generatedFromProtos = true;\n');
