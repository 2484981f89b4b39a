import {
  K_ANONYMITY,
  OTHER_KEY,
  protectInsights,
  type ExactInsights,
  type KeyCount,
  type ProtectedInsights,
} from './audience-insights.policy.js';

const groups = (entries: Record<string, number>): KeyCount[] =>
  Object.entries(entries)
    .filter(([, count]) => count > 0)
    .map(([key, count]) => ({ key, count }));

function exact(
  fingerprint: string,
  countries: Record<string, number>,
  interests: Record<string, number> = {},
): ExactInsights {
  const total = Object.values(countries).reduce((a, b) => a + b, 0);
  return {
    visitorCount: total,
    fingerprint,
    byCountry: groups(countries),
    byInterest: groups(interests),
    byPhase: groups({ NONE: total }),
    byTier: groups({ NONE: total }),
  };
}

const SECRETS = Array.from({ length: 1500 }, (_, i) => `secret-${i}`);
const value = (list: KeyCount[], key: string) => list.find((g) => g.key === key)?.count ?? 0;
const all = (r: ProtectedInsights) => [r.byCountry, r.byInterest, r.byPhase, r.byTier].flat();

describe('audience insights policy', () => {
  it('answers 0 and no groups for a total under 5, whatever the secret', () => {
    for (const secret of SECRETS.slice(0, 500)) {
      for (const total of [1, 2, 3, 4]) {
        expect(protectInsights(exact('s', { FR: total }), secret, '{}')).toEqual({
          visitorCount: 0,
          byInterest: [],
          byCountry: [],
          byPhase: [],
          byTier: [],
        });
      }
    }
  });

  it('never shows a group under 5; folds them into "other", itself shown only from 5', () => {
    const counts = exact(
      'set',
      { FR: 40, DE: 12, ES: 4, IT: 4, PT: 4, NL: 4, unknown: 4 },
      { gastronomy: 30, heritage: 4, surf: 2 },
    );
    let otherShown = 0;
    for (const secret of SECRETS.slice(0, 500)) {
      const r = protectInsights(counts, secret, '{}');
      expect(r.visitorCount).toBeGreaterThan(0);
      for (const g of all(r).concat({ key: 'total', count: r.visitorCount })) {
        expect(g.count).toBeGreaterThanOrEqual(K_ANONYMITY);
        expect(g.count % 5).toBe(0);
      }
      const keys = r.byCountry.map((g) => g.key);
      for (const small of ['ES', 'IT', 'PT', 'NL', 'unknown']) expect(keys).not.toContain(small);
      expect(keys).toContain('FR');
      expect(r.byCountry.filter((g) => g.key === OTHER_KEY).length).toBeLessThanOrEqual(1);
      if (keys.includes(OTHER_KEY)) {
        otherShown++;
        expect(keys.at(-1)).toBe(OTHER_KEY);
      }
      // Interests: 4 + 2 folded = 6, shown sometimes; never heritage or surf themselves.
      expect(r.byInterest.map((g) => g.key)).not.toContain('heritage');
    }
    // "other" sums ES, IT, PT, NL, unknown (20, plus DE when DE is folded): shown almost always.
    expect(otherShown).toBeGreaterThan(495);
  });

  it('publishes numbers near the truth: multiples of 5, a few units off', () => {
    const deviations: number[] = [];
    for (const secret of SECRETS.slice(0, 500)) {
      const r = protectInsights(exact('set', { FR: 120, DE: 60 }), secret, '{}');
      deviations.push(Math.abs(r.visitorCount - 180), Math.abs(value(r.byCountry, 'FR') - 120));
    }
    const mean = deviations.reduce((a, b) => a + b, 0) / deviations.length;
    expect(mean).toBeLessThan(3);
    expect(Math.max(...deviations)).toBeLessThanOrEqual(25);
  });

  it('answers the same question over the same data the same way (no averaging by asking again)', () => {
    const counts = exact('set', { FR: 17, DE: 9 }, { gastronomy: 11 });
    const first = protectInsights(counts, 'secret', '{"countries":["FR"]}');
    for (let i = 0; i < 5; i++) {
      expect(protectInsights(counts, 'secret', '{"countries":["FR"]}')).toEqual(first);
    }
    // Another filter selecting the same set draws again: equal answers do not reveal equal sets.
    let same = 0;
    for (let i = 0; i < 200; i++) {
      const other = protectInsights(counts, 'secret', `{"tagsAny":["t${i}"]}`);
      if (JSON.stringify(other) === JSON.stringify(first)) same++;
    }
    expect(same).toBeLessThan(60);
  });

  /**
   * The differencing attack: A = S + x, B = S (two filters that differ by the one visitor x).
   * The attacker compares the answers to A and B to tell whether x is FR or DE (and likes
   * gastronomy or heritage). With exact counts they always can; here they guess barely better
   * than a coin, whatever strategy below, over thousands of destinations' secrets.
   */
  describe('differencing two filters that differ by one visitor', () => {
    type World = 'FR' | 'DE';
    const interestOf = (world: World) => (world === 'FR' ? 'gastronomy' : 'heritage');

    function answers(
      secret: string,
      world: World,
      base: Record<string, number>,
      interests: Record<string, number>,
    ) {
      const withX = { ...base, [world]: (base[world] ?? 0) + 1 };
      const interestsWithX = {
        ...interests,
        [interestOf(world)]: (interests[interestOf(world)] ?? 0) + 1,
      };
      return {
        a: protectInsights(exact('S+x', withX, interestsWithX), secret, '{"A":1}'),
        b: protectInsights(exact('S', base, interests), secret, '{"B":1}'),
        exactA: exact('S+x', withX, interestsWithX),
        exactB: exact('S', base, interests),
      };
    }

    /** The share of right guesses of `guess` (1: FR, -1: DE, 0: no idea = half right). */
    function accuracy(
      base: Record<string, number>,
      interests: Record<string, number>,
      guess: (a: KeyCount[], b: KeyCount[], dimension: 'country' | 'interest') => number,
      naive = false,
    ) {
      let right = 0;
      let trials = 0;
      for (const secret of SECRETS) {
        for (const world of ['FR', 'DE'] as World[]) {
          const r = answers(secret, world, base, interests);
          const [a, b] = naive ? [fold(r.exactA), fold(r.exactB)] : [r.a, r.b];
          for (const dimension of ['country', 'interest'] as const) {
            const g =
              dimension === 'country'
                ? guess(a.byCountry, b.byCountry, dimension)
                : guess(a.byInterest, b.byInterest, dimension);
            const truth = world === 'FR' ? 1 : -1;
            right += g === 0 ? 0.5 : g === truth ? 1 : 0;
            trials++;
          }
        }
      }
      return right / trials;
    }

    /** A naive rule, for comparison: exact counts, groups under 5 folded into "other". */
    const fold = (e: ExactInsights) => {
      const folded = (list: KeyCount[]) => {
        const shown = list.filter((g) => g.count >= K_ANONYMITY);
        const other = list.filter((g) => g.count < K_ANONYMITY).reduce((n, g) => n + g.count, 0);
        return other >= K_ANONYMITY ? [...shown, { key: OTHER_KEY, count: other }] : shown;
      };
      return { ...e, byCountry: folded(e.byCountry), byInterest: folded(e.byInterest) };
    };

    const keys = (dimension: 'country' | 'interest') =>
      dimension === 'country' ? ['FR', 'DE'] : ['gastronomy', 'heritage'];

    /** Which group grew more from B to A. */
    const growth = (a: KeyCount[], b: KeyCount[], dimension: 'country' | 'interest') => {
      const [fr, de] = keys(dimension);
      const d = value(a, fr) - value(b, fr) - (value(a, de) - value(b, de));
      return Math.sign(d);
    };
    /** Which group appeared in A and not in B (the k-threshold boundary). */
    const appearance = (a: KeyCount[], b: KeyCount[], dimension: 'country' | 'interest') => {
      const [fr, de] = keys(dimension);
      const appeared = (k: string) => (value(a, k) > 0 && value(b, k) === 0 ? 1 : 0);
      return appeared(fr) - appeared(de);
    };

    it('large groups: the one-visitor difference is lost in the noise', () => {
      const base = { FR: 23, DE: 31, ES: 8 };
      const interests = { gastronomy: 19, heritage: 26 };
      expect(accuracy(base, interests, growth, true)).toBe(1);
      expect(accuracy(base, interests, growth)).toBeLessThan(0.6);
    });

    it('groups at the threshold: a group of 4 becoming 5 does not give x away', () => {
      const base = { FR: 4, DE: 4, ES: 12 };
      const interests = { gastronomy: 4, heritage: 4, surf: 12 };
      // With only the k-folding of exact counts, FR appears in A exactly when x is FR.
      expect(accuracy(base, interests, appearance, true)).toBe(1);
      expect(accuracy(base, interests, appearance)).toBeLessThan(0.6);
      expect(accuracy(base, interests, growth)).toBeLessThan(0.6);
    });

    it('a group vanishing into "other" tells nothing either', () => {
      const base = { FR: 6, DE: 6, ES: 9 };
      const interests = { gastronomy: 6, heritage: 6 };
      const vanishing = (a: KeyCount[], b: KeyCount[], dimension: 'country' | 'interest') => {
        const [fr, de] = keys(dimension);
        const shownIn = (l: KeyCount[], k: string) => (value(l, k) > 0 ? 1 : 0);
        return shownIn(a, fr) - shownIn(b, fr) - (shownIn(a, de) - shownIn(b, de));
      };
      expect(accuracy(base, interests, vanishing)).toBeLessThan(0.6);
    });
  });
});
