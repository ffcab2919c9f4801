import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder holding duban's package.json, whether running from src/ (ts-jest) or dist/src/ (compiled). */
export const PROJECT_ROOT: string = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
})();
