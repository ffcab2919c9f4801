import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load-config';
import { tempDir } from './temp-dir';

/** A duban.yaml in a temp folder that uses the shipped catalogue, with the given settings on top. */
export function writeTestConfig(main: Record<string, unknown>): { file: string; remove(): void } {
  const dir = tempDir('duban-config-');
  const shipped = path.dirname(DEFAULT_CONFIG_PATH);
  const file = dir.file('duban.yaml');
  writeFileSync(
    file,
    stringify({
      timezone: 'Asia/Shanghai',
      catalogue: { indicators: path.join(shipped, 'indicators.yaml'), units: path.join(shipped, 'units.yaml') },
      calendar: path.join(shipped, 'calendar'),
      rules: path.join(shipped, 'rules.yaml'),
      // A free port each: tests run daemons side by side, and a developer's own daemon may hold the default.
      ops: { port: 0 },
      api: { port: 0 },
      ...main,
      letters: { templates: path.join(shipped, 'templates'), ...(main.letters as object | undefined) },
    }),
  );
  return { file, remove: dir.remove };
}
