import { RATE_LIMIT_WINDOW_MS } from '../../lib/model/limits.js';

/**
 * A clock for `options.clock`, for tests that count answers inside one rate-limit window. The limits' windows are
 * aligned on the clock (every instance agrees on them without asking), so a test started late in a window would
 * see it turn over midway and a second budget open. `freshWindow()` moves this clock forward to the first
 * millisecond of the next window: the test has a whole window ahead at once, instead of waiting up to a minute for
 * the wall clock. It only ever moves forward, and otherwise runs as the wall clock does. Give every instance of one
 * test the same clock, as processes share the wall clock.
 */
export class TestClock {
  private offset = 0;

  /** The time, as `options.clock` reads it. */
  readonly now = (): number => Date.now() + this.offset;

  /** Moves to the start of the next window of `windowMs`. */
  freshWindow(windowMs = RATE_LIMIT_WINDOW_MS): void {
    const now = this.now();
    this.offset += (Math.floor(now / windowMs) + 1) * windowMs - now;
  }
}
