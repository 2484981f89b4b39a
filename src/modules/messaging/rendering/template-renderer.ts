import { Injectable } from '@nestjs/common';
import { Liquid, type Template } from 'liquidjs';
import { DateTime, type DateTimeFormatOptions } from 'luxon';
import { badInput } from '../../../common/errors/app-error.js';

/** The variables a campaign template can use (see README, "Journeys"). */
export interface RenderContext {
  visitor: {
    firstName: string | null;
    lastName: string | null;
    displayName: string | null;
    locale: string | null;
    /** Labels in the visitor's locale. */
    topInterests: { slug: string; label: string }[];
  };
  stay: {
    arrivalAt: Date;
    departureAt: Date;
    nights: number;
    place: { name: string } | null;
  } | null;
  destination: { name: string };
  places: { name: string; handle?: string | null; interests: string[] }[];
  unsubscribeUrl: string;
}

export interface TemplateVariantInput {
  locale: string;
  subject?: string | null;
  body: string;
}

export interface RenderedParts {
  subject: string | null;
  text: string;
  html: string;
}

/** A template that parsed but cannot be rendered for this visitor (missing variable, limits). */
export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

/** Per-template parse limit (characters): far above any real e-mail, far below a DoS. */
const PARSE_LIMIT = 100_000;
/** Render time limit per template (ms): a loop-heavy template is refused, not waited for. */
const RENDER_LIMIT_MS = 250;
/** Liquid's allocation budget per render (strings, arrays created by filters and tags). */
const MEMORY_LIMIT = 5_000_000;
/** Rendered body size limit (characters), before the HTML part is built. */
const OUTPUT_LIMIT = 200_000;
const SUBJECT_LIMIT = 250;
const PARSED_CACHE_SIZE = 1_000;

/**
 * What a template may name below each variable: a typo such as `visitor.fristName` is refused
 * when the campaign is created rather than failing (or printing nothing) at send time.
 */
const FIELDS: Record<string, Set<string> | null> = {
  visitor: new Set(['firstName', 'lastName', 'displayName', 'locale', 'topInterests']),
  stay: new Set(['arrivalAt', 'departureAt', 'nights', 'place']),
  destination: new Set(['name']),
  places: null, // an array: indexes, first, last, size
  unsubscribeUrl: null,
};

const UNSUBSCRIBE_LABEL: Record<string, string> = {
  en: 'Unsubscribe',
  fr: 'Se désabonner',
  es: 'Darse de baja',
  de: 'Abmelden',
  it: 'Annulla iscrizione',
  nl: 'Afmelden',
  pt: 'Cancelar inscrição',
};

const DATE_FORMATS: Record<string, DateTimeFormatOptions> = {
  short: DateTime.DATE_SHORT,
  medium: DateTime.DATE_MED,
  long: DateTime.DATE_FULL,
  full: DateTime.DATE_HUGE,
};
const TIME_FORMATS: Record<string, DateTimeFormatOptions> = {
  short: DateTime.TIME_SIMPLE,
  medium: DateTime.TIME_SIMPLE,
  long: DateTime.TIME_WITH_SHORT_OFFSET,
  full: DateTime.TIME_WITH_SHORT_OFFSET,
};
const DATETIME_FORMATS: Record<string, DateTimeFormatOptions> = {
  short: DateTime.DATETIME_SHORT,
  medium: DateTime.DATETIME_MED,
  long: DateTime.DATETIME_FULL,
  full: DateTime.DATETIME_HUGE,
};

/** Where the filters find the visitor's locale and zone: not reachable from a template. */
const RENDER_OPTIONS = Symbol('renderOptions');
interface RenderOptionsBag {
  locale: string;
  timeZone: string;
}

const language = (locale: string) => locale.split('-')[0]!.toLowerCase();

const escapeHtml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** URLs in already-escaped text become links (escaped text contains no quotes or brackets). */
const linkify = (escaped: string) =>
  escaped.replace(
    /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g,
    (url) => `<a href="${url}">${url}</a>`,
  );

/**
 * Liquid templates of campaign steps. Bodies are plain text: the HTML part is derived from the
 * text (escaped, paragraphs, links), so a template cannot inject markup and both parts say the
 * same. No file system (no include, render, layout), strict variables and filters, and limits on
 * template size, render time and output size: templates are written by destination staff, not
 * trusted code.
 */
@Injectable()
export class TemplateRenderer {
  private readonly liquid: Liquid;
  private readonly parsed = new Map<string, Template[]>();

  constructor() {
    this.liquid = new Liquid({
      strictVariables: true,
      strictFilters: true,
      // `{% if stay %}` must work when there is no stay; a misspelt name is caught statically.
      lenientIf: true,
      ownPropertyOnly: true,
      templates: {},
      relativeReference: false,
      parseLimit: PARSE_LIMIT,
      renderLimit: RENDER_LIMIT_MS,
      memoryLimit: MEMORY_LIMIT,
    });
    for (const tag of ['include', 'render', 'layout', 'block']) {
      delete (this.liquid.tags as Record<string, unknown>)[tag];
    }
    const zoned = (
      formats: Record<string, DateTimeFormatOptions>,
      fallback: string,
    ): ((this: { context: { globals: object } }, value: unknown, format?: unknown) => string) =>
      function (value, format) {
        const bag = (this.context.globals as Record<symbol, RenderOptionsBag>)[RENDER_OPTIONS];
        if (!bag) throw new Error('date filters need the render options');
        const dt = toDateTime(value);
        if (!dt) throw new Error(`not a date: ${JSON.stringify(value)}`);
        const name = typeof format === 'string' ? format : fallback;
        const preset = formats[name];
        if (preset) return intlFormat(bag.locale, bag.timeZone, preset).format(dt.toJSDate());
        // Anything else is a Luxon format ("cccc d LLLL"), still in the visitor's language.
        return dt.setZone(bag.timeZone).setLocale(bag.locale).toFormat(name);
      };
    this.liquid.registerFilter('date_local', zoned(DATE_FORMATS, 'long'));
    this.liquid.registerFilter('time_local', zoned(TIME_FORMATS, 'short'));
    this.liquid.registerFilter('datetime_local', zoned(DATETIME_FORMATS, 'medium'));
  }

  /**
   * Parses every variant and checks the variables it names; BAD_USER_INPUT names `where`, the
   * locale and Liquid's message (with its line and column).
   */
  validateVariants(variants: TemplateVariantInput[], where: string): void {
    if (variants.length === 0) throw badInput(`${where}: at least one template variant is needed`);
    const seen = new Set<string>();
    for (const variant of variants) {
      const key = variant.locale.toLowerCase();
      if (seen.has(key)) {
        throw badInput(`${where}: two variants for locale ${variant.locale}`, {
          locale: variant.locale,
        });
      }
      seen.add(key);
      if (!variant.body.trim()) {
        throw badInput(`${where}, locale ${variant.locale}: the body is empty`, {
          locale: variant.locale,
        });
      }
      for (const [part, source] of [
        ['subject', variant.subject],
        ['body', variant.body],
      ] as const) {
        if (source == null) continue;
        try {
          this.checkVariables(this.parse(source));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw badInput(`${where}, locale ${variant.locale}, ${part}: ${message}`, {
            locale: variant.locale,
            part,
          });
        }
      }
    }
  }

  /** The visitor's locale, else its language (fr-CA → fr, fr → fr-FR), else the default. */
  pickVariant<T extends { locale: string }>(
    variants: T[],
    visitorLocale: string | null,
    defaultLocale: string,
  ): T {
    if (variants.length === 0) throw new Error('no template variant to pick from');
    const find = (locale: string | null) => {
      if (!locale) return undefined;
      const wanted = locale.toLowerCase();
      return (
        variants.find((v) => v.locale.toLowerCase() === wanted) ??
        variants.find((v) => v.locale.toLowerCase() === language(wanted)) ??
        variants.find((v) => language(v.locale) === language(wanted))
      );
    };
    return find(visitorLocale) ?? find(defaultLocale) ?? variants[0]!;
  }

  /** Renders a variant for one visitor; TemplateRenderError when it cannot. */
  render(
    variant: TemplateVariantInput,
    context: RenderContext,
    opts: { locale: string; timeZone: string },
  ): RenderedParts {
    const globals = { [RENDER_OPTIONS]: { locale: opts.locale, timeZone: opts.timeZone } };
    // A missing stay is left out, not null: `{{ stay.arrivalAt }}` then fails (strict) rather
    // than printing nothing, while `{% if stay %}` still works.
    const scope: Record<string, unknown> = { ...context };
    if (context.stay == null) delete scope.stay;
    const run = (source: string) => {
      let out: unknown;
      try {
        out = this.liquid.renderSync(this.parse(source), scope, { globals });
      } catch (error) {
        throw new TemplateRenderError(error instanceof Error ? error.message : String(error));
      }
      const text = String(out);
      if (text.length > OUTPUT_LIMIT) {
        throw new TemplateRenderError(`rendered text exceeds ${OUTPUT_LIMIT} characters`);
      }
      return text;
    };
    let subject: string | null = null;
    if (variant.subject != null) {
      subject = run(variant.subject).replace(/\s+/g, ' ').trim();
      if (subject.length > SUBJECT_LIMIT) {
        throw new TemplateRenderError(`rendered subject exceeds ${SUBJECT_LIMIT} characters`);
      }
    }
    const body = run(variant.body)
      .replace(/\r\n?/g, '\n')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    const label = UNSUBSCRIBE_LABEL[language(opts.locale)] ?? UNSUBSCRIBE_LABEL.en!;
    const text = `${body}\n\n-- \n${label}: ${context.unsubscribeUrl}\n`;
    const paragraphs = body
      .split(/\n{2,}/)
      .map((p) => `<p>${linkify(escapeHtml(p)).replace(/\n/g, '<br>\n')}</p>`)
      .join('\n');
    const html =
      `<!doctype html>\n<html lang="${escapeHtml(opts.locale)}"><head><meta charset="utf-8">` +
      `${subject ? `<title>${escapeHtml(subject)}</title>` : ''}</head>\n<body>\n${paragraphs}\n` +
      `<p style="font-size:12px;color:#666"><a href="${escapeHtml(context.unsubscribeUrl)}">` +
      `${escapeHtml(label)}</a></p>\n</body></html>\n`;
    return { subject, text, html };
  }

  private parse(source: string): Template[] {
    const cached = this.parsed.get(source);
    if (cached) return cached;
    const templates = this.liquid.parse(source);
    // Campaigns reuse a handful of templates for thousands of visitors; drop the oldest entry.
    if (this.parsed.size >= PARSED_CACHE_SIZE) {
      this.parsed.delete(this.parsed.keys().next().value!);
    }
    this.parsed.set(source, templates);
    return templates;
  }

  private checkVariables(templates: Template[]): void {
    for (const segments of this.liquid.globalVariableSegmentsSync(templates)) {
      const [root, field] = segments;
      if (typeof root !== 'string' || !(root in FIELDS)) {
        throw new Error(
          `unknown variable ${JSON.stringify(String(root))} (known: ${Object.keys(FIELDS).join(', ')})`,
        );
      }
      const known = FIELDS[root];
      if (known && field !== undefined && typeof field === 'string' && !known.has(field)) {
        throw new Error(
          `unknown variable ${root}.${field} (known: ${[...known].map((f) => `${root}.${f}`).join(', ')})`,
        );
      }
    }
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Building an Intl.DateTimeFormat costs far more than using one, and a campaign formats the same
 * few (locale, zone, preset) triples for every visitor.
 */
function intlFormat(
  locale: string,
  timeZone: string,
  preset: DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(preset)}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    if (formatters.size >= 1_000) formatters.clear();
    formatter = new Intl.DateTimeFormat(locale, { ...preset, timeZone });
    formatters.set(key, formatter);
  }
  return formatter;
}

function toDateTime(value: unknown): DateTime | undefined {
  if (value instanceof Date) return DateTime.fromJSDate(value);
  if (typeof value === 'string') {
    const dt = DateTime.fromISO(value, { setZone: true });
    return dt.isValid ? dt : undefined;
  }
  if (typeof value === 'number') return DateTime.fromMillis(value);
  return undefined;
}
