import { jest } from '@jest/globals';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../../common/errors/app-error.js';
import type { AuthContext } from '../access/auth-context.js';
import type { InterestsService } from '../interests/interests.service.js';
import { Role } from '../access/user.entity.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity } from './social-identity.entity.js';
import { actorOf, mergedFields, VisitorMergeService } from './visitor-merge.service.js';
import { VisitorRecordEntity } from './visitor-record.entity.js';
import { VisitorEntity } from './visitor.entity.js';
import { VisitorEvents } from './visitor.events.js';
import type { VisitorsService } from './visitors.service.js';

const KEEP = '00000000-0000-4000-8000-000000000001';
const MERGE = '00000000-0000-4000-8000-000000000002';
const auth: AuthContext = {
  destinationId: 'd',
  principal: { kind: 'user', userId: 'u1', role: Role.MARKETER },
};

const profile = (fields: Partial<VisitorEntity>): VisitorEntity =>
  ({
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    locale: null,
    countryCode: null,
    timeZone: null,
    tags: [],
    ...fields,
  }) as VisitorEntity;

describe('mergedFields', () => {
  it('fills only the empty fields of the kept visitor and unions the tags', () => {
    const keep = profile({ firstName: 'Anne', email: null, phone: '  ', tags: ['vip', 'golf'] });
    const merge = profile({
      firstName: 'Annie',
      lastName: 'Le Goff',
      email: 'anne@example.org',
      phone: '+33 6 12 34 56 78',
      timeZone: 'Europe/Paris',
      tags: ['golf', 'surf'],
    });
    expect(mergedFields(keep, merge)).toEqual({
      lastName: 'Le Goff',
      email: 'anne@example.org',
      phone: '+33 6 12 34 56 78',
      timeZone: 'Europe/Paris',
      tags: ['vip', 'golf', 'surf'],
    });
  });

  it('changes nothing when the kept visitor already has everything', () => {
    const keep = profile({ firstName: 'Anne', tags: ['vip'] });
    expect(mergedFields(keep, profile({ firstName: 'Annie', tags: ['vip'] }))).toEqual({});
    expect(mergedFields(keep, profile({ lastName: ' ' }))).toEqual({});
  });
});

describe('actorOf', () => {
  it('names users and API keys by id', () => {
    expect(actorOf(auth)).toBe('user:u1');
    expect(
      actorOf({ destinationId: 'd', principal: { kind: 'apiKey', apiKeyId: 'k1', scopes: [] } }),
    ).toBe('apiKey:k1');
  });
});

describe('VisitorMergeService', () => {
  function setup() {
    const log: string[] = [];
    const repo = (name: string) => ({
      update: jest.fn(async (where: unknown, set: unknown) => {
        log.push(`${name}.update ${JSON.stringify(where)} ${JSON.stringify(set)}`);
      }),
      delete: jest.fn(async (where: unknown) => {
        log.push(`${name}.delete ${JSON.stringify(where)}`);
      }),
      insert: jest.fn(async (row: unknown) => {
        log.push(`${name}.insert ${JSON.stringify(row)}`);
      }),
    });
    const repos = new Map<unknown, ReturnType<typeof repo>>([
      [SocialIdentityEntity, repo('identities')],
      [ConsentEntity, repo('consents')],
      [VisitorEntity, repo('visitors')],
      [VisitorRecordEntity, repo('records')],
    ]);
    const manager = {
      query: jest.fn(async (sql: string) => {
        log.push(`sql ${sql.trim().split(/\s+/).slice(0, 3).join(' ')}`);
        return sql.includes('FOR UPDATE') ? [{ id: KEEP }, { id: MERGE }] : [];
      }),
      getRepository: (entity: unknown) => repos.get(entity),
    } as unknown as EntityManager;
    const dataSource = {
      transaction: jest.fn(async (fn: (m: EntityManager) => Promise<unknown>) => fn(manager)),
    } as unknown as DataSource;
    const visitors = {
      get: jest.fn(async (_: AuthContext, id: string) =>
        id === KEEP
          ? profile({ id: KEEP, firstName: 'Anne', tags: ['vip'] })
          : profile({ id: MERGE, email: 'anne@example.org', tags: ['surf'] }),
      ),
      changed: jest.fn(async () => log.push('changed')),
    } as unknown as VisitorsService;
    const interests = {
      moveEvidence: jest.fn(async () => log.push('moveEvidence')),
    } as unknown as InterestsService;
    const events = {
      emitAsync: jest.fn(async (name: string, event: { manager: unknown }) => {
        log.push(`emit ${name} ${event.manager === manager}`);
        return [];
      }),
    } as unknown as EventEmitter2;
    const service = new VisitorMergeService(dataSource, visitors, interests, events);
    return { service, log, dataSource, interests };
  }

  it('refuses a self-merge before touching the database', async () => {
    const { service, dataSource } = setup();
    const error = await service.merge(auth, KEEP, KEEP.toUpperCase()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_USER_INPUT');
    expect(dataSource.transaction).not.toHaveBeenCalled();
  });

  it('refuses malformed ids with BAD_USER_INPUT', async () => {
    const { service } = setup();
    await expect(service.merge(auth, 'nope', MERGE)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  it('moves, lets listeners join the transaction, deletes, fills, then records', async () => {
    const { service, log, interests } = setup();
    await service.merge(auth, KEEP, MERGE);
    expect(interests.moveEvidence).toHaveBeenCalledWith(expect.anything(), MERGE, KEEP);
    const at = (prefix: string) => log.findIndex((l) => l.startsWith(prefix));
    expect(at('sql SELECT id FROM')).toBe(0);
    expect(at('identities.update')).toBeLessThan(at(`emit ${VisitorEvents.MERGING} true`));
    expect(at('consents.update')).toBeLessThan(at('emit'));
    expect(at('sql UPDATE stays')).toBeLessThan(at('emit'));
    expect(at('moveEvidence')).toBeLessThan(at('emit'));
    expect(at('emit')).toBeLessThan(at('visitors.delete'));
    // The e-mail is taken over only once the merged row (which holds it) is gone.
    expect(at('visitors.delete')).toBeLessThan(at('visitors.update'));
    expect(log[at('visitors.update')]).toContain('"email":"anne@example.org"');
    expect(log[at('visitors.update')]).toContain('"tags":["vip","surf"]');
    expect(log[at('records.insert')]).toContain(`"otherVisitorId":"${MERGE}"`);
    expect(log[at('records.insert')]).toContain('"actor":"user:u1"');
    expect(log.at(-1)).toBe('changed');
  });
});
