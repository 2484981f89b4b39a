/**
 * Audience insights: counts of visitors that never single a person out (k = 5).
 *
 * The rule, applied to the exact counts of one filter (SegmentsService.insightCounts: for users,
 * every visitor of the destination, erased ones' anonymous rows included as DESIGN wants for
 * aggregates; for READ_AGGREGATES keys, only visitors whose PROFILING consent is granted):
 *
 * 1. A count is SHOWN only if it is at least 5 AND it passes a noisy threshold: count + T ≥ 8,
 *    T ~ Laplace(scale 2). Counts of 5, 6, 7, 8, 10, 15, 20 pass with about 11 %, 18 %, 30 %,
 *    50 %, 82 %, 98.5 %, 99.9 %. Under 5 never.
 * 2. The total: when it is not shown, the answer is visitorCount 0 and no groups at all.
 * 3. Each breakdown (interest, country, phase, tier): a group that is not shown is folded into
 *    "other"; "other" itself (the sum of the folded counts) is shown by the same rule, else
 *    dropped. Visitors without a country count under "unknown". byInterest counts visitors per
 *    interest whose score reaches the filter's minInterestScore (default 0.2); its "other" sums
 *    the folded interests' counts (a visitor may have several interests).
 * 4. Every number shown is published as round5(count + V), V ~ Laplace(scale 2), and never below
 *    5: published numbers are multiples of 5, within a few units of the truth.
 * 5. T and V are not random at each call: they are drawn from an HMAC, keyed by the
 *    destination's secret, of (the canonical filter, a fingerprint of the exact SET of visitors
 *    counted, the group). The same question over the same data always gets the same answer, so
 *    asking it again reveals nothing new; any change of the set or of the filter re-draws every
 *    number.
 *
 * Why noise, not only folding and rounding. Two filters A and B that differ by one visitor x
 * (B = A minus x) differ by exactly 1 in x's groups and nowhere else. Any deterministic rule
 * gives itself away at some boundary: with exact counts the group that drops by one is x's; with
 * counts rounded to 5, a group going from 40 to 35 is x's; with groups under 5 folded, a group
 * that is there in A and folded in B (5 → 4) is x's; suppressing "other" or complementary cells
 * only moves the boundary. With rule 5, A and B have independent draws for every number, so
 * every group moves between A and B by several units whether or not x is in it, and a group
 * near the threshold appears or vanishes by chance: the one-unit signal is lost in the noise
 * (the Laplace draws bound how much more likely a number or a shown-or-folded decision is with
 * x in a group than without: by a factor e^(1/2) ≈ 1.65 at most, above the floor; an attacker
 * who knew every other count exactly would still guess x's group from one pair of answers
 * barely better than a coin, and without that knowledge does much worse). Keying the draws on the filter too means that two
 * different filters selecting the same set do not get identical answers, so "is the set of A the
 * same as the set of B?" cannot be tested by comparing answers (with draws keyed on the set
 * alone, `(S or x) and FR` would answer exactly like `S and FR` unless x is in FR).
 *
 * Limits, honestly: (a) averaging — an attacker who writes many different filters for the same
 * pair of sets gets independent draws and can average them (about a hundred rewrites to see a
 * difference of one); a query budget per API key would bound that, there is none yet. (b) The
 * hard floor of 5 (the contract's promise that no group under 5 is ever shown) means that an
 * attacker who already knows exactly 4 members of a group (e.g. visitors they created themselves
 * through a partner key) learns x's membership in the rare case the group of 5 is shown; no
 * k-threshold resists k − 1 planted records. Do not give WRITE_STAYS and READ_AGGREGATES to the
 * same partner key. (c) Preview counts (previewSegment) are exact: they are for the office's
 * staff, who see the visitors themselves.
 */
import { createHmac } from 'node:crypto';

/** No group of fewer visitors is ever shown. */
export const K_ANONYMITY = 5;
/** Where the groups that are not shown are counted. */
export const OTHER_KEY = 'other';
/** The key of visitors without a country in byCountry. */
export const UNKNOWN_KEY = 'unknown';

const THRESHOLD = K_ANONYMITY + 3;
const THRESHOLD_NOISE = 2;
const VALUE_NOISE = 2;
const ROUND_TO = 5;

export interface KeyCount {
  key: string;
  count: number;
}

/** The exact counts of one filter, as SQL gives them: never sent to a client as they are. */
export interface ExactInsights {
  visitorCount: number;
  /** An order-independent fingerprint of the set of visitors counted. */
  fingerprint: string;
  byInterest: KeyCount[];
  byCountry: KeyCount[];
  byPhase: KeyCount[];
  byTier: KeyCount[];
}

export interface ProtectedInsights {
  visitorCount: number;
  byInterest: KeyCount[];
  byCountry: KeyCount[];
  byPhase: KeyCount[];
  byTier: KeyCount[];
}

const DIMENSIONS = ['byInterest', 'byCountry', 'byPhase', 'byTier'] as const;

/** The draws of one answer: deterministic in (secret, filter, set), independent per label. */
class Draws {
  private readonly seed: Buffer;

  constructor(secret: string, filterKey: string, exact: ExactInsights) {
    this.seed = createHmac('sha256', secret)
      .update(
        ['audience-insights', filterKey, exact.fingerprint, String(exact.visitorCount)].join('\0'),
      )
      .digest();
  }

  /** Laplace(0, scale) by inversion of a uniform in (0, 1) taken from the HMAC of `label`. */
  laplace(label: string, scale: number): number {
    const bytes = createHmac('sha256', this.seed).update(label).digest();
    const u = (bytes.readUIntBE(0, 6) + 0.5) / 2 ** 48 - 0.5; // (-0.5, 0.5)
    return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }

  shows(count: number, label: string): boolean {
    return (
      count >= K_ANONYMITY &&
      count + this.laplace(`${label}#threshold`, THRESHOLD_NOISE) >= THRESHOLD
    );
  }

  publish(count: number, label: string): number {
    const noisy = count + this.laplace(`${label}#value`, VALUE_NOISE);
    return Math.max(K_ANONYMITY, ROUND_TO * Math.round(noisy / ROUND_TO));
  }
}

/** Applies the rule of this file's header to the exact counts of one filter. */
export function protectInsights(
  exact: ExactInsights,
  secret: string,
  filterKey: string,
): ProtectedInsights {
  const draws = new Draws(secret, filterKey, exact);
  const empty: ProtectedInsights = {
    visitorCount: 0,
    byInterest: [],
    byCountry: [],
    byPhase: [],
    byTier: [],
  };
  if (!draws.shows(exact.visitorCount, 'total')) return empty;
  const result = { ...empty, visitorCount: draws.publish(exact.visitorCount, 'total') };
  for (const dimension of DIMENSIONS) {
    const shown: KeyCount[] = [];
    let other = 0;
    for (const { key, count } of exact[dimension]) {
      const label = `${dimension}:${key}`;
      // A real group named like the fold ("other" interest) is always folded: no two "other".
      if (key !== OTHER_KEY && draws.shows(count, label)) {
        shown.push({ key, count: draws.publish(count, label) });
      } else {
        other += count;
      }
    }
    shown.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const otherLabel = `${dimension}:${OTHER_KEY}`;
    if (draws.shows(other, otherLabel)) {
      shown.push({ key: OTHER_KEY, count: draws.publish(other, otherLabel) });
    }
    result[dimension] = shown;
  }
  return result;
}
