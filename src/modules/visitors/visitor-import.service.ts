import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { CsvError, parse } from 'csv-parse/sync';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { badInput, conflict } from '../../common/errors/app-error.js';
import { normalizeHandle } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { EvidenceKind } from '../interests/interest-evidence.entity.js';
import { InterestsService } from '../interests/interests.service.js';
import { SuppressionService } from './suppression.service.js';
import { SocialProvider } from './social-identity.entity.js';
import { checkVisitorFields, type VisitorFields } from './visitor-fields.js';
import {
  ImportReport,
  VisitorImportEvents,
  type ImportRowError,
  type VisitorsImportedEvent,
} from './visitor-import.models.js';

export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;

/** The columns an import may have, named as CreateVisitorInput's fields (any order, any case). */
export const IMPORT_COLUMNS = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'locale',
  'countryCode',
  'timeZone',
  'tags',
  'twitterHandle',
  'consentEmailMarketing',
  'declaredInterests',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Separates the values of list columns (tags, declaredInterests). */
export const LIST_SEPARATOR = '|';
/** Rows written per statement: large enough to be set-based, small enough for any driver. */
const CHUNK_SIZE = 1000;
/** Past this many records with broken quoting the file is not read as CSV at all. */
const MAX_BROKEN_RECORDS = 100;
/** The same limits as the GraphQL inputs (visitor.inputs.ts), which an import bypasses. */
const MAX_LENGTH: Partial<Record<ImportColumn, number>> = {
  firstName: 100,
  lastName: 100,
  email: 254,
  locale: 35,
};
const MAX_LIST = 50;
const MAX_TAG_LENGTH = 50;
const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/** One line of the file, validated on its own: what it asks for, or every reason it cannot. */
export interface ImportLine {
  line: number;
  errors: string[];
  /** Normalised profile fields; only the non-empty cells (an empty cell changes nothing). */
  fields: VisitorFields;
  /** X handle without '@', as written. */
  handle: string | null;
  consentEmailMarketing: boolean | null;
  /** Interest slugs, lower-case; checked against the taxonomy by the service. */
  interests: string[];
}

// ------------------------------------------------------------------------------- reading CSV

/**
 * Reads and validates an import file without the database: its size, header and every line.
 * Whole-file problems (too large, empty, unknown columns, unreadable header) are BAD_USER_INPUT;
 * a line's problems are listed on that line. A record with broken quoting is reported on the
 * line it starts on, and reading resumes on the next line so that one stray quote costs one line.
 */
export function readImportCsv(csv: string): ImportLine[] {
  const size = Buffer.byteLength(csv, 'utf8');
  if (size > IMPORT_MAX_BYTES) {
    throw badInput(
      `The CSV is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is 10 MB (${IMPORT_MAX_BYTES} bytes): split it into smaller files`,
      { field: 'csv', sizeBytes: size, limitBytes: IMPORT_MAX_BYTES },
    );
  }
  // One line ending: csv-parse counts lines unreliably on \r\n inside quoted fields.
  const text = csv.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!text.trim()) {
    throw badInput(
      `The CSV is empty: it needs a header row (${IMPORT_COLUMNS.join(',')}) and a line per visitor`,
      { field: 'csv' },
    );
  }
  const { records, broken } = readRecords(text, guessDelimiter(text));
  const [header, ...rows] = records;
  if (broken.length && (!header || broken[0].line < header.line)) {
    throw badInput(`The header row (line ${broken[0].line}) is not valid CSV: ${broken[0].error}`, {
      field: 'csv',
    });
  }
  const columns = readHeader(header.cells);
  const lines = [
    ...rows.map((r) => readLine(columns, r.cells, r.line)),
    ...broken.map((b) => emptyLine(b.line, [b.error])),
  ].sort((x, y) => x.line - y.line);
  if (!lines.length) {
    throw badInput('The CSV has a header row but no visitor lines under it', { field: 'csv' });
  }
  return lines;
}

/** Comma, unless the header row plainly uses ';' or tabs (spreadsheets in French locales do). */
function guessDelimiter(text: string): string {
  const header = text.slice(0, text.indexOf('\n') >>> 0);
  const count = (c: string) => header.split(c).length - 1;
  const best = [';', '\t'].find((c) => count(c) > count(','));
  return best ?? ',';
}

interface RawRecord {
  line: number;
  cells: string[];
}

function readRecords(text: string, delimiter: string) {
  const records: RawRecord[] = [];
  const broken: { line: number; error: string }[] = [];
  let offset = 0; // where the text still to read starts
  let base = 0; // the number of lines before `offset`
  for (;;) {
    // Line numbers come from csv-parse's counters: a record starts after the previous one's
    // last line and the empty lines skipped in between.
    let previousEnd = 0;
    let previousEmpty = 0;
    try {
      parse(text.slice(offset), {
        delimiter,
        relax_column_count: true,
        skip_empty_lines: true,
        on_record: (cells: string[], info) => {
          const start = previousEnd + 1 + (info.empty_lines - previousEmpty);
          previousEnd = info.lines;
          previousEmpty = info.empty_lines;
          if (cells.some((c) => c.trim())) records.push({ line: base + start, cells });
          return null;
        },
      });
      return { records, broken };
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      const emptyLines = typeof error.empty_lines === 'number' ? error.empty_lines : previousEmpty;
      const start = previousEnd + 1 + (emptyLines - previousEmpty);
      broken.push({ line: base + start, error: describeCsvError(error) });
      if (broken.length > MAX_BROKEN_RECORDS) {
        throw badInput(
          `More than ${MAX_BROKEN_RECORDS} lines have broken quoting (the first on lines ${broken
            .slice(0, 5)
            .map((b) => b.line)
            .join(', ')}): is this a CSV file?`,
          { field: 'csv' },
        );
      }
      // An unclosed quote swallows the rest of the file: the record is taken to end on its own
      // line. Other errors name the line they were found on.
      const errorLine = typeof error.lines === 'number' ? error.lines : start;
      const end = error.code === 'CSV_QUOTE_NOT_CLOSED' ? start : Math.max(start, errorLine);
      for (let i = 0; i < end && offset < text.length; i++) {
        const next = text.indexOf('\n', offset);
        offset = next < 0 ? text.length : next + 1;
      }
      base += end;
      if (offset >= text.length) return { records, broken };
    }
  }
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'broken quoting: a quote opened on this line is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'broken quoting: a closing quote is followed by text (a quote inside a quoted value is written "")';
    case 'INVALID_OPENING_QUOTE':
      return 'broken quoting: a quote inside an unquoted value (put the value in quotes and double its quotes)';
    default:
      return `not valid CSV (${error.code})`;
  }
}

function readHeader(cells: string[]): ImportColumn[] {
  const known = new Map(IMPORT_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const names = cells.map((c) => c.trim());
  const unknown = names.filter((n) => !known.has(n.toLowerCase()));
  if (unknown.length) {
    throw badInput(
      `Unknown columns: ${unknown.map((n) => n || '(empty)').join(', ')}. The columns are ${IMPORT_COLUMNS.join(', ')}`,
      { field: 'csv', unknownColumns: unknown, columns: IMPORT_COLUMNS },
    );
  }
  const columns = names.map((n) => known.get(n.toLowerCase())!);
  const twice = [...new Set(columns.filter((c, i) => columns.indexOf(c) !== i))];
  if (twice.length) {
    throw badInput(`Columns named twice: ${twice.join(', ')}`, {
      field: 'csv',
      duplicateColumns: twice,
    });
  }
  return columns;
}

const emptyLine = (line: number, errors: string[]): ImportLine => ({
  line,
  errors,
  fields: {},
  handle: null,
  consentEmailMarketing: null,
  interests: [],
});

const splitList = (value: string) =>
  value
    .split(LIST_SEPARATOR)
    .map((v) => v.trim())
    .filter(Boolean);

function readLine(columns: ImportColumn[], cells: string[], line: number): ImportLine {
  if (cells.length !== columns.length) {
    return emptyLine(line, [
      `has ${cells.length} values where the header has ${columns.length} columns (a value containing a comma must be quoted)`,
    ]);
  }
  const cell: Partial<Record<ImportColumn, string>> = {};
  columns.forEach((column, i) => {
    const value = cells[i].trim();
    if (value) cell[column] = value;
  });
  const errors: string[] = [];
  for (const [column, max] of Object.entries(MAX_LENGTH) as [ImportColumn, number][]) {
    if ((cell[column]?.length ?? 0) > max) errors.push(`${column}: longer than ${max} characters`);
  }
  const tags = cell.tags === undefined ? undefined : splitList(cell.tags);
  if (tags && tags.length > MAX_LIST) errors.push(`tags: more than ${MAX_LIST} tags`);
  const longTag = tags?.find((t) => t.length > MAX_TAG_LENGTH);
  if (longTag) errors.push(`tags: ${longTag} is longer than ${MAX_TAG_LENGTH} characters`);

  const checked = checkVisitorFields({
    firstName: cell.firstName,
    lastName: cell.lastName,
    email: cell.email,
    phone: cell.phone,
    locale: cell.locale,
    countryCode: cell.countryCode,
    timeZone: cell.timeZone,
    tags,
  });
  errors.push(...checked.errors);

  let handle: string | null = null;
  if (cell.twitterHandle !== undefined) {
    handle = normalizeHandle(cell.twitterHandle) ?? null;
    if (!handle) {
      errors.push(
        `twitterHandle: ${cell.twitterHandle} is not an X handle (1 to 15 letters, digits or _)`,
      );
    }
  }

  let consentEmailMarketing: boolean | null = null;
  if (cell.consentEmailMarketing !== undefined) {
    const v = cell.consentEmailMarketing.toLowerCase();
    if (TRUE.has(v)) consentEmailMarketing = true;
    else if (FALSE.has(v)) consentEmailMarketing = false;
    else {
      errors.push(
        `consentEmailMarketing: ${cell.consentEmailMarketing} is not one of true/false, yes/no, 1/0`,
      );
    }
  }

  const interests =
    cell.declaredInterests === undefined
      ? []
      : [...new Set(splitList(cell.declaredInterests).map((s) => s.toLowerCase()))];
  if (interests.length > MAX_LIST) {
    errors.push(`declaredInterests: more than ${MAX_LIST} interests`);
  }
  return { line, errors, fields: checked.value, handle, consentEmailMarketing, interests };
}

// ------------------------------------------------------------------------------- the import

/** What a good line does: create or update this visitor, and link what it names. */
interface Planned {
  line: ImportLine;
  visitorId: string;
  created: boolean;
  /** A known identity with no visitor, to attach. */
  attachIdentityId: string | null;
  /** A handle unknown so far, to insert. */
  insertHandle: string | null;
  interestIds: string[];
}

@Injectable()
export class VisitorImportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly interests: InterestsService,
    private readonly suppressions: SuppressionService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  /**
   * `importVisitors`: upserts a visitor per good line (by e-mail, then by X handle), with its
   * identity, e-mail marketing consent and declared interests, in one transaction of set-based
   * statements; bad lines are reported with every reason and change nothing.
   */
  async importCsv(auth: AuthContext, csv: string): Promise<ImportReport> {
    const lines = readImportCsv(csv);
    const interestIds = await this.checkInterests(auth, lines);
    await this.checkSuppressed(auth, lines);
    let planned: Planned[];
    try {
      planned = await this.dataSource.transaction(async (manager) => {
        // One import at a time per destination: two files naming the same person would race.
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `visitor-import:${auth.destinationId}`,
        ]);
        const plan = await this.plan(manager, auth, lines, interestIds);
        await this.write(manager, auth, plan);
        return plan;
      });
    } catch (error) {
      // A visitor created through the API during the import took an e-mail or handle the file
      // names: nothing was written; the same file imports cleanly when run again.
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string })?.code === '23505'
      ) {
        throw conflict(
          'A visitor with an e-mail or handle of this file was created during the import; nothing was imported, run it again',
        );
      }
      throw error;
    }
    const created = planned.filter((p) => p.created).map((p) => p.visitorId);
    const updated = planned.filter((p) => !p.created).map((p) => p.visitorId);
    if (planned.length) {
      const event: VisitorsImportedEvent = {
        destinationId: auth.destinationId,
        createdIds: created,
        updatedIds: updated,
      };
      await this.events.emitAsync(VisitorImportEvents.IMPORTED, event);
    }
    const rejected: ImportRowError[] = lines
      .filter((l) => l.errors.length)
      .map((l) => ({ line: l.line, errors: [...new Set(l.errors)] }));
    return { created: created.length, updated: updated.length, rejected };
  }

  /** The taxonomy is read once per file; returns slug → interest id. */
  private async checkInterests(auth: AuthContext, lines: ImportLine[]) {
    const ids = new Map<string, string>();
    if (!lines.some((l) => l.interests.length)) return ids;
    for (const interest of await this.interests.list(auth)) ids.set(interest.slug, interest.id);
    for (const line of lines) {
      const unknown = line.interests.filter((s) => !ids.has(s));
      if (unknown.length)
        line.errors.push(`declaredInterests: unknown interests: ${unknown.join(', ')}`);
    }
    return ids;
  }

  private async checkSuppressed(auth: AuthContext, lines: ImportLine[]) {
    const emails = [...new Set(lines.map((l) => l.fields.email).filter((e): e is string => !!e))];
    const handles = [...new Set(lines.map((l) => l.handle).filter((h): h is string => !!h))];
    const [suppressed, erasedHandles] = await Promise.all([
      this.suppressions.suppressedAmong(auth.destinationId, emails),
      this.suppressions.handlesSuppressedAmong(auth.destinationId, SocialProvider.TWITTER, handles),
    ]);
    for (const line of lines) {
      if (line.fields.email && suppressed.has(line.fields.email)) {
        line.errors.push(
          `email: ${line.fields.email} is on the suppression list (erased or unsubscribed): it is not imported again`,
        );
      }
      if (line.handle && erasedHandles.has(line.handle.toLowerCase())) {
        line.errors.push(
          `twitterHandle: @${line.handle} is an erased person's account (on the suppression list): it is not imported again`,
        );
      }
    }
  }

  /**
   * Decides what each line does from two queries (visitors by e-mail, X identities by handle),
   * adding the errors only the database can tell: a handle or e-mail that belongs to someone
   * else, and two lines naming the same person.
   */
  private async plan(
    manager: EntityManager,
    auth: AuthContext,
    lines: ImportLine[],
    interestIds: Map<string, string>,
  ): Promise<Planned[]> {
    const d = auth.destinationId;
    const emails = [...new Set(lines.map((l) => l.fields.email).filter((e): e is string => !!e))];
    const handles = [
      ...new Set(lines.map((l) => l.handle?.toLowerCase()).filter((h): h is string => !!h)),
    ];
    const byEmail = new Map<string, string>();
    if (emails.length) {
      const rows: { id: string; email: string }[] = await manager.query(
        `SELECT id, email FROM visitors
          WHERE destination_id = $1 AND erased_at IS NULL AND email = ANY($2::text[])`,
        [d, emails],
      );
      for (const r of rows) byEmail.set(r.email, r.id);
    }
    const byHandle = new Map<
      string,
      { id: string; visitorId: string | null; visitorEmail: string | null }
    >();
    if (handles.length) {
      const rows: {
        id: string;
        handle: string;
        visitor_id: string | null;
        visitor_email: string | null;
      }[] = await manager.query(
        `SELECT i.id, lower(i.handle) AS handle, v.id AS visitor_id, v.email AS visitor_email
           FROM social_identities i
           LEFT JOIN visitors v ON v.id = i.visitor_id AND v.erased_at IS NULL
          WHERE i.destination_id = $1 AND i.provider = 'TWITTER' AND lower(i.handle) = ANY($2::text[])`,
        [d, handles],
      );
      for (const r of rows) {
        byHandle.set(r.handle, {
          id: r.id,
          visitorId: r.visitor_id,
          visitorEmail: r.visitor_email,
        });
      }
    }

    const targets = new Map<string, ImportLine>(); // existing visitor → the line updating it
    const claimedEmails = new Map<string, number>();
    const claimedHandles = new Map<string, number>();
    const planned: Planned[] = [];
    for (const line of lines) {
      const email = line.fields.email ?? null;
      const handleKey = line.handle?.toLowerCase() ?? null;
      const identity = handleKey ? byHandle.get(handleKey) : undefined;
      const emailOwner = email ? byEmail.get(email) : undefined;
      let target = emailOwner ?? null;
      if (emailOwner) {
        if (identity?.visitorId && identity.visitorId !== emailOwner) {
          line.errors.push(
            `twitterHandle: @${line.handle} already belongs to visitor ${identity.visitorId}, not to visitor ${emailOwner} who has ${email}`,
          );
        }
      } else if (identity?.visitorId) {
        target = identity.visitorId;
        if (email && identity.visitorEmail && identity.visitorEmail !== email) {
          line.errors.push(
            `email: visitor ${identity.visitorId}, who has the handle @${line.handle}, has another e-mail address`,
          );
        }
      }
      if (line.errors.length) continue;

      const sameEmail = email ? claimedEmails.get(email) : undefined;
      if (sameEmail) line.errors.push(`email: ${email} is also on line ${sameEmail}`);
      const sameHandle = handleKey ? claimedHandles.get(handleKey) : undefined;
      if (sameHandle)
        line.errors.push(`twitterHandle: @${line.handle} is also on line ${sameHandle}`);
      const sameTarget = target ? targets.get(target) : undefined;
      if (sameTarget && !sameEmail && !sameHandle) {
        line.errors.push(`updates the same visitor (${target}) as line ${sameTarget.line}`);
      }
      if (line.errors.length) continue;

      if (email) claimedEmails.set(email, line.line);
      if (handleKey) claimedHandles.set(handleKey, line.line);
      if (target) targets.set(target, line);
      planned.push({
        line,
        visitorId: target ?? randomUUID(),
        created: !target,
        attachIdentityId: identity && !identity.visitorId ? identity.id : null,
        insertHandle: line.handle && !identity ? line.handle : null,
        interestIds: line.interests.map((s) => interestIds.get(s)!),
      });
    }
    return planned;
  }

  private async write(manager: EntityManager, auth: AuthContext, planned: Planned[]) {
    const d = auth.destinationId;
    const now = this.clock.now();
    for (let i = 0; i < planned.length; i += CHUNK_SIZE) {
      const chunk = planned.slice(i, i + CHUNK_SIZE);
      const rows = (created: boolean) =>
        chunk
          .filter((p) => p.created === created)
          .map(({ visitorId, line: { fields: f } }) => ({
            id: visitorId,
            first_name: f.firstName ?? null,
            last_name: f.lastName ?? null,
            email: f.email ?? null,
            phone: f.phone ?? null,
            locale: f.locale ?? null,
            country_code: f.countryCode ?? null,
            time_zone: f.timeZone ?? null,
            tags: f.tags ?? null,
          }));
      const recordset = `jsonb_to_recordset($2::jsonb) AS u(id uuid, first_name text, last_name text,
        email text, phone text, locale text, country_code text, time_zone text, tags text[])`;

      const inserts = rows(true);
      if (inserts.length) {
        // clock_timestamp(): creation order (the listing's order) follows the file's.
        await manager.query(
          `INSERT INTO visitors (id, destination_id, first_name, last_name, email, phone, locale,
                                 country_code, time_zone, tags, created_at, updated_at)
           SELECT u.id, $1, u.first_name, u.last_name, u.email, u.phone, u.locale, u.country_code,
                  u.time_zone, coalesce(u.tags, '{}'), clock_timestamp(), clock_timestamp()
             FROM ${recordset}`,
          [d, JSON.stringify(inserts)],
        );
      }
      const updates = rows(false);
      if (updates.length) {
        // A given cell replaces the value; an empty one keeps it. Tags are added to the
        // visitor's, in order, without duplicates: an import never takes a tag away.
        await manager.query(
          `UPDATE visitors v SET
              first_name = coalesce(u.first_name, v.first_name),
              last_name = coalesce(u.last_name, v.last_name),
              email = coalesce(u.email, v.email),
              phone = coalesce(u.phone, v.phone),
              locale = coalesce(u.locale, v.locale),
              country_code = coalesce(u.country_code, v.country_code),
              time_zone = coalesce(u.time_zone, v.time_zone),
              tags = CASE WHEN u.tags IS NULL THEN v.tags ELSE ARRAY(
                       SELECT t FROM unnest(v.tags || u.tags) WITH ORDINALITY AS x(t, n)
                        GROUP BY t ORDER BY min(n)) END,
              updated_at = now()
             FROM ${recordset}
            WHERE v.id = u.id AND v.destination_id = $1`,
          [d, JSON.stringify(updates)],
        );
      }

      const newIdentities = chunk
        .filter((p) => p.insertHandle)
        .map((p) => ({ visitor_id: p.visitorId, handle: p.insertHandle }));
      if (newIdentities.length) {
        await manager.query(
          `INSERT INTO social_identities (destination_id, visitor_id, provider, handle)
           SELECT $1, u.visitor_id, 'TWITTER', u.handle
             FROM jsonb_to_recordset($2::jsonb) AS u(visitor_id uuid, handle text)`,
          [d, JSON.stringify(newIdentities)],
        );
      }
      const attached = chunk
        .filter((p) => p.attachIdentityId)
        .map((p) => ({ id: p.attachIdentityId, visitor_id: p.visitorId }));
      if (attached.length) {
        await manager.query(
          `UPDATE social_identities s SET visitor_id = u.visitor_id, updated_at = now()
             FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, visitor_id uuid)
            WHERE s.id = u.id AND s.destination_id = $1 AND s.visitor_id IS NULL`,
          [d, JSON.stringify(attached)],
        );
      }

      const consents = chunk
        .filter((p) => p.line.consentEmailMarketing !== null)
        .map((p) => ({ visitor_id: p.visitorId, granted: p.line.consentEmailMarketing }));
      if (consents.length) {
        await manager.query(
          `INSERT INTO consents (destination_id, visitor_id, channel, purpose, granted, source, recorded_at)
           SELECT $1, u.visitor_id, 'EMAIL', 'MARKETING', u.granted, 'import', $3
             FROM jsonb_to_recordset($2::jsonb) AS u(visitor_id uuid, granted boolean)`,
          [d, JSON.stringify(consents), now],
        );
      }

      const evidence = chunk.flatMap((p) =>
        p.interestIds.map((interestId) => ({
          destinationId: d,
          visitorId: p.visitorId,
          interestId,
          kind: EvidenceKind.DECLARED,
          sourceId: 'declared',
          occurredAt: now,
        })),
      );
      if (evidence.length) await this.interests.recordEvidence(evidence, manager);
    }
  }
}
