import { AdvisoryLock, AdvisoryLockSpace } from './advisory-lock.js';

const values = (e: object) => Object.values(e).filter((v): v is number => typeof v === 'number');

describe('advisory lock keys', () => {
  it('give every use its own key or space (a shared one waits on, or deadlocks with, another)', () => {
    for (const keys of [values(AdvisoryLock), values(AdvisoryLockSpace)]) {
      expect(new Set(keys).size).toBe(keys.length);
      // Two-key locks take int4 first keys.
      expect(keys.every((k) => Number.isInteger(k) && Math.abs(k) < 2 ** 31)).toBe(true);
    }
  });
});
