import { buildProgram } from '../../src/cli/main';

/** Runs `duban ...args` in-process and returns what it printed. */
export async function duban(...args: string[]): Promise<string> {
  const out: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'duban', ...args]);
  } finally {
    log.mockRestore();
  }
  return out.join('\n');
}
