// Blocking: the refusals a block causes between its pair (groups are unaffected).
import { AppError } from './errors';

/** The blocked user opening or writing to the DIRECT with the one who blocked them. */
export const blockedByOther = (): AppError =>
  new AppError('BLOCKED', 'you cannot message this user');

/** The blocker writing to the DIRECT with someone they blocked (unblock them first). */
export const blockedByCaller = (): AppError =>
  new AppError('BLOCKED', 'you blocked this user; unblock them to message them');
