import { Command, Help } from 'commander';

/**
 * commander writes its help and its errors in English ("Usage:", "error: required option … not specified"). The people
 * who run duban read Chinese: every command of the tree gets the same translation of both. The patterns follow
 * commander 14's wording; one it does not know is passed on unchanged rather than lost.
 */
const HEADINGS: Array<[RegExp, string]> = [
  [/^Usage:/gm, '用法：'],
  [/^Options:$/gm, '选项：'],
  [/^Commands:$/gm, '命令：'],
  [/^Arguments:$/gm, '参数：'],
  [/^Global Options:$/gm, '全局选项：'],
  // Commander puts choices and defaults in one bracket that help may wrap across lines: the words go, not the shape.
  [/\(default:[ ]?/g, '（默认：'],
  [/\(choices:[ ]?/g, '（可选：'],
  [/,(\s*)default:[ ]?/g, '，$1默认：'],
  [/\[options\]/g, '[选项]'],
  [/\[command\]/g, '[命令]'],
];

/** Columns a string takes in a terminal: a Chinese character two, so that help lines stay aligned. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(/\x1b\[[0-9;]*m/g, '')) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return width;
}

const maybe = (suggestion: string | undefined) => (suggestion ? `（您是不是要找 ${suggestion}？）` : '');
const ERRORS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^error: required option '([^']+)' not specified/, (m) => `缺少必填选项 ${m[1]}`],
  [/^error: unknown option '([^']+)'(?:\s*\(Did you mean (.+)\?\))?/, (m) => `未知选项 ${m[1]}${maybe(m[2])}`],
  [/^error: missing required argument '([^']+)'/, (m) => `缺少参数 ${m[1]}`],
  [/^error: option '([^']+)' argument missing/, (m) => `选项 ${m[1]} 缺少取值`],
  [/^error: option '([^']+)' argument '([^']*)' is invalid\. Allowed choices are (.+)\./, (m) => `选项 ${m[1]} 的取值“${m[2]}”无效，可选：${m[3]}`],
  [/^error: option '([^']+)' argument '([^']*)' is invalid\.\s*(.*)/, (m) => `选项 ${m[1]} 的取值“${m[2]}”无效：${m[3]}`],
  [/^error: command-argument value '([^']*)' is invalid for argument '([^']+)'\.\s*(.*)/, (m) => `参数 ${m[2]} 的取值“${m[1]}”无效：${m[3]}`],
  [/^error: unknown command '([^']+)'(?:\s*\(Did you mean (.+)\?\))?/, (m) => `未知命令 ${m[1]}${maybe(m[2])}`],
  [/^\(Did you mean (.+)\?\)$/, (m) => `（您是不是要找 ${m[1]}？）`],
  [/^error: too many arguments(?: for '[^']+')?\. Expected (\d+) arguments? but got (\d+)\./, (m) => `参数过多：应为 ${m[1]} 个，实际 ${m[2]} 个`],
];

export function translateHelp(text: string): string {
  return HEADINGS.reduce((t, [pattern, zh]) => t.replace(pattern, zh), text);
}

export function translateError(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      for (const [pattern, zh] of ERRORS) {
        const m = pattern.exec(line);
        if (m) return zh(m);
      }
      return line;
    })
    .join('\n');
}

/** Applies the translation to `root` and every command under it; help and errors go where commander sends them. */
export function inChinese(root: Command): Command {
  const walk = (cmd: Command) => {
    cmd.helpOption('-h, --help', '显示帮助');
    cmd.helpCommand('help [命令]', '显示某个命令的帮助');
    cmd.configureHelp({
      subcommandTerm: (c) => translateHelp(Help.prototype.subcommandTerm.call(new Help(), c)),
      formatHelp: (c, helper) => translateHelp(Help.prototype.formatHelp.call(helper, c, helper)),
      displayWidth,
    });
    cmd.configureOutput({ outputError: (text, write) => write(translateError(text)) });
    cmd.showHelpAfterError('（加 --help 查看用法）');
    // Thrown, not exited: src/cli/main.ts turns it into exit code 2 (0 for help), and tests run commands in-process.
    cmd.exitOverride();
    for (const sub of cmd.commands) walk(sub);
  };
  walk(root);
  return root;
}
