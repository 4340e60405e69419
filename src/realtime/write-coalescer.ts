// Frames written to one TCP socket during one turn of the event loop go out in one system call:
// the socket is corked at its first frame and uncorked once the turn's callbacks have run. A
// message costs a client two or three frames (the answer, the copy, the receipt) that the same
// turn often produces; written one by one, each was its own writev, the largest single cost of
// a message on the embedded node. Order is kept; nothing waits past the current turn.
import type { Writable } from 'node:stream';

const corked: Writable[] = [];
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  // A socket corked while this runs (an uncork writes, a write callback sends more) waits for
  // the next turn: splice first.
  for (const socket of corked.splice(0)) socket.uncork();
}

/**
 * Holds what is written to `socket` until the end of the current turn. Call it before each
 * write; a socket already held is left as it is.
 */
export function coalesceWrites(socket: Writable | undefined | null): void {
  if (!socket || socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  corked.push(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(uncorkAll);
  }
}
