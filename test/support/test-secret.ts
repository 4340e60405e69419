// The HS256 secret of every node the tests start, in-process or as a process (a file of its own so
// that spawning a built node does not load the server's sources).
export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef';
