// Mute: whether a participant's mute is in force at an instant (a mute with an end lapses by itself).
import type { Participant } from './types';

export function isMuted(p: Pick<Participant, 'muted' | 'mutedUntil'>, now: Date): boolean {
  return p.muted && (p.mutedUntil === null || p.mutedUntil.getTime() > now.getTime());
}

/** The mute as views and frames show it: a lapsed mute reads as none, with no end. */
export function muteState(
  p: Pick<Participant, 'muted' | 'mutedUntil'>,
  now: Date,
): { muted: boolean; mutedUntil: Date | null } {
  const muted = isMuted(p, now);
  return { muted, mutedUntil: muted ? p.mutedUntil : null };
}
