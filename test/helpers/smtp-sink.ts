import type { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  /** Every message accepted, parsed, in arrival order. */
  received: ParsedMail[];
  /** SMTP connections opened to it so far. */
  connections: number;
  /** Decides the reply to each message (by its Message-ID): undefined accepts it, a number rejects with that code. */
  reply: (messageId: string, attempt: number) => number | undefined;
  close(): Promise<void>;
}

/** A real SMTP server in-process on a free port, reading every message back with mailparser. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const attempts = new Map<string, number>();
  const sink: SmtpSink = {
    url: '',
    received: [],
    connections: 0,
    reply: () => undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // A reverse DNS lookup of 127.0.0.1 before each greeting is work no sender needs here.
    disableReverseLookup: true,
    onConnect(_session, callback) {
      sink.connections++;
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const id = mail.messageId ?? '';
          const attempt = (attempts.get(id) ?? 0) + 1;
          attempts.set(id, attempt);
          const code = sink.reply(id, attempt);
          if (code === undefined) {
            sink.received.push(mail);
            callback();
            return;
          }
          callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }));
        })
        .catch(callback);
    },
  });
  // A sender that dies holding a pooled connection (the crash tests kill daemons) resets it: the server reports that
  // as an 'error', which is the sender's fate, not the sink's.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return sink;
}
