import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ArchivedMail {
  messageId: string;
  subject: string;
  to: string;
  file: string;
}

export interface MailArchive {
  url: string;
  received: ArchivedMail[];
  close(): Promise<void>;
}

/**
 * The demo's mail server: a real SMTP server in-process that keeps every message it is sent as the .eml it received
 * (open it in a mail client) and the HTML part (open it in a browser), named after its Message-ID.
 */
export async function startMailArchive(folder: string): Promise<MailArchive> {
  mkdirSync(folder, { recursive: true });
  const received: ArchivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((mail) => {
            const id = (mail.messageId ?? `unnamed-${received.length + 1}`).replace(/[<>]/g, '').replace(/[^A-Za-z0-9._@-]/g, '_');
            const file = path.join(folder, id);
            writeFileSync(`${file}.eml`, raw);
            if (mail.html) writeFileSync(`${file}.html`, mail.html);
            const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
            received.push({ messageId: mail.messageId ?? '', subject: mail.subject ?? '', to, file: `${file}.eml` });
            callback();
          })
          .catch(callback);
      });
    },
  });
  // A sender's pooled connection reset (the daemon stopping) is reported as an 'error': the sender's, not the archive's.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
