import { sentimentOf } from './sentiment.js';

describe('sentimentOf (FR + EN lexicon)', () => {
  it.each([
    ['Journée magnifique à la plage, merci !', 1],
    ['Best galette ever, the chef is amazing', 1],
    ['Horrible weather, terrible day', -1],
    ['Vraiment déçu, une arnaque', -1],
    ["Ce n'est pas bon", -1],
    ['not good at all', -1],
  ])('%s', (text, sign) => {
    const score = sentimentOf(text) as number;
    expect(Math.sign(score)).toBe(sign);
    expect(Math.abs(score)).toBeLessThanOrEqual(1);
  });

  it('is null without any word of the lexicon', () => {
    expect(sentimentOf('Rendez-vous place Sainte-Anne à 18h')).toBeNull();
    expect(sentimentOf(null)).toBeNull();
  });
});
