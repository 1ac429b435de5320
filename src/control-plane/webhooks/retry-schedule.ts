/**
 * When a failed delivery is tried again, in multiples of the base delay (VERDICT_WEBHOOK_RETRY_BASE_MS,
 * 10 s by default): 10 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then every 8 h. With the
 * default 11 attempts the last one comes ~24 h after the first: a receiver down for a day still
 * gets the event. Each delay is jittered by ±20% so that receivers coming back are not hit by
 * every delivery at the same moment.
 */
const STEPS = [1, 3, 12, 60, 180, 360, 720, 1440, 2880];

export const DEFAULT_RETRY_BASE_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 11;

/** The delay before the next attempt, or null when `attemptsMade` used up `maxAttempts` (the delivery failed). */
export function retryDelayMs(attemptsMade: number, options: { baseMs: number; maxAttempts: number }, random: () => number = Math.random): number | null {
  if (attemptsMade >= options.maxAttempts) return null;
  const step = STEPS[Math.min(Math.max(attemptsMade, 1), STEPS.length) - 1]!;
  return Math.round(options.baseMs * step * (0.8 + 0.4 * random()));
}
