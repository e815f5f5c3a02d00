// Notification retry schedule of the Invoice Service (contract §7.5, literal values per §9 A39):
// 3 quick attempts 10 s apart, then 10 scheduled retries of 1 min, 3 min 45 s, 7 min 30 s, 15 min,
// 30 min … doubling up to 16 h. 13 attempts, the last at 31 h 57 min 35 s after payment.

const MIN = 60;
/** Delay in seconds before each attempt, measured from the previous attempt. */
export const NOTIFICATION_DELAYS_S: readonly number[] = [
  0,
  10,
  10,
  1 * MIN,
  ...Array.from({ length: 9 }, (_, i) => 225 * 2 ** i), // 3 min 45 s × 2^i, i = 0…8 → 16 h
];

export const NOTIFICATION_ATTEMPTS = NOTIFICATION_DELAYS_S.length;

/**
 * Delay in ms before attempt `index` (0-based), multiplied by `scale` — the simulator's knob to
 * compress the 32-hour schedule for demos (scale 0.001 ⇒ about 2 minutes).
 */
export function notificationDelayMs(index: number, scale = 1): number {
  const seconds = NOTIFICATION_DELAYS_S[index];
  if (seconds === undefined) throw new RangeError(`no notification attempt ${index + 1}`);
  return Math.round(seconds * 1000 * scale);
}
