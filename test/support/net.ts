import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Ports this process already handed out: one not bound yet is free again to the kernel. */
const handedOut = new Set<number>();

/**
 * A loopback port free for both UDP and TCP (a DNS server binds both), never one this process
 * handed out before: a test that asks for three ports before its server binds them could get
 * one twice (nginx then serves both from the first server block, and the test fails by chance).
 */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port');
}
