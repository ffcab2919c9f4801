import { readFileSync } from 'node:fs';
import path from 'node:path';
import Mustache from 'mustache';

/** The messages a bureau words itself; each is three files in the templates folder, e.g. letter.subject.mustache. */
export const TEMPLATE_KINDS = ['letter', 'summary', 'alert'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export interface MessageTemplate {
  subject: string;
  html: string;
  text: string;
}
export type MessageTemplates = Record<TemplateKind, MessageTemplate>;

const PARTS = { subject: 'subject', html: 'html', text: 'txt' } as const;

export function templateFileName(kind: TemplateKind, part: keyof MessageTemplate): string {
  return `${kind}.${PARTS[part]}.mustache`;
}

/**
 * Reads every template of the folder and checks it parses, so a bureau's edit that breaks a tag is reported when the
 * configuration is read, naming the file, not when Monday's letters are due.
 */
export function readTemplates(folder: string, report: (file: string, message: string) => void): MessageTemplates | undefined {
  const out: Partial<Record<TemplateKind, MessageTemplate>> = {};
  let ok = true;
  for (const kind of TEMPLATE_KINDS) {
    const t: Partial<MessageTemplate> = {};
    for (const part of Object.keys(PARTS) as Array<keyof MessageTemplate>) {
      const file = path.join(folder, templateFileName(kind, part));
      try {
        t[part] = readFileSync(file, 'utf8');
        Mustache.parse(t[part]);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        report(file, code ? `无法读取模板文件：${code}` : `模板语法错误：${(err as Error).message}`);
        ok = false;
      }
    }
    out[kind] = t as MessageTemplate;
  }
  return ok ? (out as MessageTemplates) : undefined;
}
