// k6 provides `console` as a global, but @types/k6 does not declare it and this project's k6
// type-check loads neither the DOM nor the Node types that would.
declare const console: {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
  debug(...values: unknown[]): void;
};
