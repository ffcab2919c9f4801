/**
 * The SMTP server both sides of `npm run bench:letters` and `npm run bench:day` send to: it accepts every message and
 * throws it away, in its own process so that its work is not counted against either side. Tells its port, then counts
 * (messages accepted, connections opened) on request.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let accepted = 0;
let connections = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  // A reverse DNS lookup of 127.0.0.1 before each greeting is work no sender needs here.
  disableReverseLookup: true,
  onConnect(_session, callback) {
    connections++;
    callback();
  },
  onData(stream, _session, callback) {
    stream.on('end', () => {
      accepted++;
      callback();
    });
    stream.resume();
  },
});
// A sender's connection reset is the sender's fate, not the sink's.
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.server.address() as AddressInfo).port }));
process.on('message', () => process.send?.({ accepted, connections }));
process.on('disconnect', () => server.close(() => process.exit(0)));
