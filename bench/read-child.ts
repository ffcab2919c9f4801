/**
 * The floor of `npm run bench:ingest-memory`: a process that only reads a file through duban's decoder and drops the
 * text, as any reader of the file must at least do. Prints one JSON line: { maxRssKb }.
 *
 *   node dist/bench/read-child.js <file>
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { TextDecodingStream } from '../src/ingest/text-decoding';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: read-child <file>');
  const decoder = new TextDecodingStream('auto', file);
  pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), decoder, () => undefined);
  let chars = 0;
  for await (const text of decoder as AsyncIterable<string>) chars += text.length;
  process.stdout.write(`${JSON.stringify({ chars, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`read-child: ${String(err)}\n`);
  process.exitCode = 1;
});
