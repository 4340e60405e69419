// Ephemeral signals (typing) go straight through the Socket.IO adapter to the users' rooms.
import type { EphemeralSignals } from '../ports';
import { userRoom, type ParleyServer } from './socket-server';

export class SocketIoSignals implements EphemeralSignals {
  constructor(private readonly io: ParleyServer) {}

  typing(
    recipientUserIds: readonly string[],
    signal: { conversationId: string; userId: string; username: string },
  ): void {
    if (recipientUserIds.length === 0) return;
    // volatile: a typing hint that cannot be written now is worthless later.
    this.io.to(recipientUserIds.map(userRoom)).volatile.emit('TYPING', signal);
  }
}
