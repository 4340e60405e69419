// Query pieces MongoStore's parts share: keyset-cursor filters in (date, _id) order, and inserts where a duplicate _id is an answer.
import { toObjectId } from './mongo-mapping';

const DUPLICATE_KEY = 11000;

const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === DUPLICATE_KEY;

/** Runs an insert; a collision on _id is an answer (false), anything else is a failure. */
export async function insertOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Strictly before (at, id) in (at, _id) order; `at` is the stored date field. */
export const sortsBefore = (field: string, key: { at: Date; id: string }) => ({
  $or: [{ [field]: { $lt: key.at } }, { [field]: key.at, _id: { $lt: toObjectId(key.id) } }],
});

/** Strictly after (at, id) in (at, _id) order. */
export const sortsAfter = (field: string, key: { at: Date; id: string }) => ({
  $or: [{ [field]: { $gt: key.at } }, { [field]: key.at, _id: { $gt: toObjectId(key.id) } }],
});
