import { AppError, ErrorCode } from '../../../common/errors/app-error.js';
import { type RenderContext, TemplateRenderer, TemplateRenderError } from './template-renderer.js';

const renderer = new TemplateRenderer();

const context = (over: Partial<RenderContext> = {}): RenderContext => ({
  visitor: {
    firstName: 'Léa',
    lastName: 'Martin',
    displayName: 'Léa M.',
    locale: 'fr-FR',
    topInterests: [
      { slug: 'gastronomy', label: 'Gastronomie' },
      { slug: 'heritage', label: 'Patrimoine' },
    ],
  },
  stay: {
    // 18:30 UTC on 3 July is 20:30 in Paris, and already 4 July in Sydney.
    arrivalAt: new Date('2026-07-03T18:30:00Z'),
    departureAt: new Date('2026-07-06T09:00:00Z'),
    nights: 3,
    place: { name: 'Hôtel des Lices' },
  },
  destination: { name: 'Rennes' },
  places: [
    { name: 'Marché des Lices', handle: 'marchedeslices', interests: ['gastronomy'] },
    { name: 'Parlement de Bretagne', handle: null, interests: ['heritage'] },
  ],
  unsubscribeUrl: 'https://crm.example.org/unsubscribe/abc.def',
  ...over,
});

const paris = { locale: 'fr-FR', timeZone: 'Europe/Paris' };

function badInputOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ErrorCode.BAD_USER_INPUT);
    return error as AppError;
  }
  throw new Error('no error thrown');
}

function renderErrorOf(fn: () => unknown): TemplateRenderError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateRenderError);
    return error as TemplateRenderError;
  }
  throw new Error('no error thrown');
}

describe('TemplateRenderer.render', () => {
  it('renders subject, text and HTML with the variables', () => {
    const out = renderer.render(
      {
        locale: 'fr',
        subject: 'Bienvenue à {{ destination.name }},\n{{ visitor.firstName }} !',
        body: [
          'Bonjour {{ visitor.firstName }},',
          '',
          'Vous arrivez le {{ stay.arrivalAt | date_local: "long" }} à {{ stay.arrivalAt | time_local }}',
          'pour {{ stay.nights }} nuits au {{ stay.place.name }}.',
          '',
          '{% for p in places %}- {{ p.name }}{% if p.handle %} (@{{ p.handle }}){% endif %}',
          '{% endfor %}',
          'Vos centres d’intérêt : {{ visitor.topInterests | map: "label" | join: ", " }}.',
        ].join('\n'),
      },
      context(),
      paris,
    );
    expect(out.subject).toBe('Bienvenue à Rennes, Léa !');
    expect(out.text).toContain('Bonjour Léa,');
    expect(out.text).toContain('Vous arrivez le 3 juillet 2026 à 20:30');
    expect(out.text).toContain('pour 3 nuits au Hôtel des Lices.');
    expect(out.text).toContain('- Marché des Lices (@marchedeslices)\n- Parlement de Bretagne\n');
    expect(out.text).toContain('Vos centres d’intérêt : Gastronomie, Patrimoine.');
    expect(out.text.trimEnd().endsWith('https://crm.example.org/unsubscribe/abc.def')).toBe(true);
    expect(out.text).toContain('Se désabonner: https://crm.example.org/unsubscribe/abc.def');
    expect(out.html).toContain('<p>Bonjour Léa,</p>');
    expect(out.html).toContain('à 20:30<br>\npour 3 nuits');
    expect(out.html).toContain(
      '<a href="https://crm.example.org/unsubscribe/abc.def">Se désabonner</a>',
    );
    expect(out.html.lastIndexOf('unsubscribe/abc.def')).toBeGreaterThan(
      out.html.lastIndexOf('Patrimoine'),
    );
  });

  it('formats dates in the given locale and zone', () => {
    const variant = {
      locale: 'en',
      body: '{{ stay.arrivalAt | date_local: "long" }} / {{ stay.arrivalAt | date_local: "short" }} / {{ stay.arrivalAt | datetime_local }} / {{ stay.arrivalAt | date_local: "cccc" }}',
    };
    const sydney = renderer.render(variant, context(), {
      locale: 'en-AU',
      timeZone: 'Australia/Sydney',
    });
    expect(sydney.text).toMatch(
      /^4 July 2026 \/ 04\/07\/2026 \/ 4 July 2026, 4:30\sam \/ Saturday\n/,
    );
    const us = renderer.render(variant, context(), {
      locale: 'en-US',
      timeZone: 'America/New_York',
    });
    expect(us.text).toMatch(/^July 3, 2026 \/ 7\/3\/2026 \/ Jul 3, 2026, 2:30\sPM \/ Friday\n/);
    const de = renderer.render(
      { locale: 'de', body: '{{ stay.departureAt | date_local: "full" }}' },
      context(),
      { locale: 'de', timeZone: 'Europe/Berlin' },
    );
    expect(de.text).toMatch(/^Montag, 6\. Juli 2026/);
    expect(de.text).toContain('Abmelden: https://');
  });

  it('escapes the HTML part and links URLs', () => {
    const out = renderer.render(
      { locale: 'en', body: 'Hi {{ visitor.firstName }}! See https://rennes.example/events.' },
      context({
        visitor: { ...context().visitor, firstName: '<script>alert("x")</script>' },
      }),
      { locale: 'en', timeZone: 'UTC' },
    );
    expect(out.html).not.toContain('<script>');
    expect(out.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(out.html).toContain(
      '<a href="https://rennes.example/events">https://rennes.example/events</a>.',
    );
    expect(out.text).toContain('<script>alert("x")</script>');
    expect(out.subject).toBeNull();
  });

  it('fails with TemplateRenderError on a missing variable, also without a stay', () => {
    const noStay = context({ stay: null });
    expect(
      renderErrorOf(() =>
        renderer.render({ locale: 'en', body: 'From {{ stay.arrivalAt }}' }, noStay, paris),
      ).message,
    ).toMatch(/undefined variable: stay/);
    const ok = renderer.render(
      { locale: 'en', body: '{% if stay %}From {{ stay.arrivalAt }}{% else %}Hello{% endif %}' },
      noStay,
      paris,
    );
    expect(ok.text.startsWith('Hello')).toBe(true);
    expect(
      renderErrorOf(() =>
        renderer.render({ locale: 'en', body: '{{ places[5].name }}' }, noStay, paris),
      ).message,
    ).toMatch(/undefined variable/);
  });

  it('stops a template that runs too long or writes too much', () => {
    const loop =
      '{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}';
    expect(
      renderErrorOf(() => renderer.render({ locale: 'en', body: loop }, context(), paris)),
    ).toBeInstanceOf(TemplateRenderError);
    const big =
      '{% for a in (1..300) %}{{ destination.name }}{% for b in (1..200) %}xxxxx{% endfor %}{% endfor %}';
    expect(
      renderErrorOf(() => renderer.render({ locale: 'en', body: big }, context(), paris)).message,
    ).toMatch(/exceeds|limit/);
  });

  it('cannot reach the file system or the prototype chain', () => {
    expect(() =>
      renderer.validateVariants([{ locale: 'en', body: '{% include "/etc/passwd" %}' }], 'step 1'),
    ).toThrow(AppError);
    expect(
      renderErrorOf(() =>
        renderer.render({ locale: 'en', body: '{{ destination.constructor }}' }, context(), paris),
      ).message,
    ).toMatch(/undefined variable/);
  });
});

describe('TemplateRenderer.validateVariants', () => {
  it('accepts valid variants', () => {
    expect(() =>
      renderer.validateVariants(
        [
          {
            locale: 'fr',
            subject: 'Bonjour {{ visitor.firstName }}',
            body: 'À bientôt à {{ destination.name }}',
          },
          {
            locale: 'en',
            subject: null,
            body: '{% for i in visitor.topInterests %}{{ i.label }}{{ forloop.index }}{% endfor %} {{ unsubscribeUrl }} {{ places.size }} {{ stay.place.name }}',
          },
        ],
        "step 1 'Welcome'",
      ),
    ).not.toThrow();
  });

  it('names the step, the locale and Liquid’s message on a parse error', () => {
    const error = badInputOf(() =>
      renderer.validateVariants(
        [
          { locale: 'fr', body: 'ok' },
          { locale: 'en', subject: 'Hi', body: 'Hello {% if visitor.firstName %}' },
        ],
        "step 2 'Welcome'",
      ),
    );
    expect(error.message).toContain("step 2 'Welcome'");
    expect(error.message).toContain('locale en');
    expect(error.message).toMatch(/tag .*if.* not closed|not closed/);
    expect(error.details).toMatchObject({ locale: 'en', part: 'body' });
  });

  it.each([
    ['an unknown filter', '{{ visitor.firstName | shout }}', /undefined filter: shout/],
    ['an unknown variable', '{{ visiter.firstName }}', /unknown variable "visiter"/],
    ['an unknown field', '{{ visitor.fristName }}', /unknown variable visitor.fristName/],
    ['a layout', '{% layout "x" %}', /tag "layout" not found/],
    ['a render tag', '{% render "x" %}', /tag "render" not found/],
  ])('refuses %s', (_, body, message) => {
    expect(
      badInputOf(() => renderer.validateVariants([{ locale: 'fr', body }], 'step 1')).message,
    ).toMatch(message);
  });

  it('refuses no variants, an empty body, a duplicate locale and an oversized template', () => {
    badInputOf(() => renderer.validateVariants([], 'step 1'));
    badInputOf(() => renderer.validateVariants([{ locale: 'fr', body: '  ' }], 'step 1'));
    badInputOf(() =>
      renderer.validateVariants(
        [
          { locale: 'fr', body: 'a' },
          { locale: 'FR', body: 'b' },
        ],
        'step 1',
      ),
    );
    badInputOf(() => renderer.validateVariants([{ locale: 'fr', body: 'x'.repeat(100_001) }], 's'));
    const subjectError = badInputOf(() =>
      renderer.validateVariants([{ locale: 'fr', subject: '{{ ', body: 'x' }], 'step 3'),
    );
    expect(subjectError.details).toMatchObject({ part: 'subject' });
  });
});

describe('TemplateRenderer.pickVariant', () => {
  const variants = [{ locale: 'fr-FR' }, { locale: 'en' }, { locale: 'de-DE' }, { locale: 'pt' }];
  const pick = (visitor: string | null, fallback = 'en') =>
    renderer.pickVariant(variants, visitor, fallback).locale;

  it('prefers the exact locale, then the language, then the default, then the first', () => {
    expect(pick('fr-FR')).toBe('fr-FR');
    expect(pick('fr-fr')).toBe('fr-FR');
    expect(pick('fr')).toBe('fr-FR');
    expect(pick('fr-CA')).toBe('fr-FR');
    expect(pick('en-GB')).toBe('en');
    expect(pick('pt-BR')).toBe('pt');
    expect(pick('it')).toBe('en');
    expect(pick(null)).toBe('en');
    expect(pick('it', 'de')).toBe('de-DE');
    expect(pick('it', 'ja')).toBe('fr-FR');
  });

  it('prefers the plain language over another region', () => {
    const both = [{ locale: 'fr-FR' }, { locale: 'fr' }, { locale: 'fr-CA' }];
    expect(renderer.pickVariant(both, 'fr-BE', 'en').locale).toBe('fr');
    expect(renderer.pickVariant(both, 'fr-CA', 'en').locale).toBe('fr-CA');
  });
});
