import Mustache from 'mustache';
import type { MessageTemplate } from '../config/message-templates';

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

/** HTML escapes every value; the subject and plain text take values as they are. */
export function renderMessage(template: MessageTemplate, view: object): RenderedMessage {
  const plain = { escape: (s: unknown) => String(s) };
  return {
    // A subject is one line however the template breaks it.
    subject: Mustache.render(template.subject, view, {}, plain).replace(/\s+/g, ' ').trim(),
    html: Mustache.render(template.html, view),
    text: Mustache.render(template.text, view, {}, plain),
  };
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return Mustache.escape(s);
}
