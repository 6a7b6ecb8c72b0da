import type { Clock } from '../../../lambda/core/ports';

/** A clock that moves only when the test moves it. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = '2026-01-01T00:00:00.000Z') {
    this.current = Date.parse(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
