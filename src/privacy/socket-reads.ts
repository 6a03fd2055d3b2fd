import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Zeroes every chunk the HTTP server reads from a client socket, once Node's HTTP parser has
 * consumed it.
 *
 * By default Node's HTTP server lets its C++ parser read the socket directly into one static
 * 64 KiB buffer that JavaScript cannot reach: the tail of the last upload stays there until the
 * next request overwrites it — indefinitely on a quiet server. Adding a 'data' listener to the
 * socket is the documented way to take the socket back ("unconsume"): reads then arrive as
 * ordinary Buffers, Node's own listener (registered first, in the server's connection handler)
 * parses each one synchronously, and this listener, registered after it, zeroes it.
 *
 * What remains outside JavaScript's reach: when a read is shorter than the 64 KiB Node
 * allocated for it, Node copies it into a right-sized buffer and frees the big one unzeroed;
 * glibc's MALLOC_PERTURB_ (set by `npm start` and the Dockerfile) wipes that freed block.
 */
export function wipeSocketReads(server: Server): void {
  // Registered after createServer(): runs after Node's own connection listener.
  server.on('connection', (socket: Socket) => {
    socket.on('data', (chunk: Buffer) => chunk.fill(0));
  });
}
