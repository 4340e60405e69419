// The bench's baseline: the least a Socket.IO chat relay does. Each socket joins the room named in
// its handshake; a SEND_MESSAGE is forwarded with `socket.to(room).emit` and acknowledged. With
// REDIS_URL set, rooms span processes through @socket.io/redis-adapter (the two-node baseline).
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

type Payload = Record<string, unknown>;

const redisUrl = process.env.REDIS_URL;
const http = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
const io = new Server(http, { transports: ['websocket'] });
const clients: Redis[] = [];
if (redisUrl) {
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  clients.push(pub, sub);
  io.adapter(createAdapter(pub, sub, { key: process.env.REDIS_CHANNEL_PREFIX ?? 'socket.io' }));
}

io.on('connection', (socket) => {
  const room = String(socket.handshake.auth.room ?? '');
  void socket.join(room);
  socket.emit('connected', {});
  socket.on('SEND_MESSAGE', (message: Payload, ack?: (reply: Payload) => void) => {
    socket.to(room).emit('NEW_MESSAGE', message);
    ack?.({ type: 'MESSAGE_ACK', tempId: message.tempId });
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'relay listening', port })}\n`);
});

process.once('SIGTERM', () => {
  void io.close(() => {
    for (const client of clients) client.disconnect();
    process.exit(0);
  });
});
