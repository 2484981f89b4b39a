import { jest } from '@jest/globals';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { DataSource, EntityManager } from 'typeorm';
import { FixedClock } from '../../common/clock/clock.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity } from './social-identity.entity.js';
import type { SuppressionService } from './suppression.service.js';
import { assembleExport, erasedProfile, VisitorPrivacyService } from './visitor-privacy.service.js';
import { VisitorRecordEntity } from './visitor-record.entity.js';
import { VisitorEntity } from './visitor.entity.js';
import { VisitorEvents } from './visitor.events.js';
import type { VisitorsService } from './visitors.service.js';

const ID = '00000000-0000-4000-8000-000000000001';
const NOW = new Date('2026-03-01T10:00:00Z');
const auth: AuthContext = {
  destinationId: 'd',
  principal: { kind: 'user', userId: 'admin', role: Role.ADMIN },
};

describe('erasedProfile', () => {
  it('blanks every personal field, keeps the country, marks the row erased', () => {
    const erased = erasedProfile(NOW);
    expect(erased).toEqual({
      firstName: null,
      lastName: null,
      email: null,
      phone: null,
      locale: null,
      timeZone: null,
      tags: [],
      erasedAt: NOW,
    });
    expect(erased).not.toHaveProperty('countryCode');
  });
});

describe('assembleExport', () => {
  it('serialises dates and never lets a listener section replace a core one', () => {
    const out = assembleExport(
      { profile: { id: ID, createdAt: NOW } },
      { profile: 'overwritten?', messages: [{ at: NOW }] },
    );
    expect(out).toEqual({
      profile: { id: ID, createdAt: NOW.toISOString() },
      messages: [{ at: NOW.toISOString() }],
    });
  });
});

describe('VisitorPrivacyService.erase', () => {
  function setup(
    email: string | null,
    identities: { provider: string; external_id: string | null; handle: string | null }[] = [],
  ) {
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
        log.push(`sql ${sql.trim().split(/\s+/).slice(0, 2).join(' ')}`);
        if (sql.includes('FROM social_identities')) return identities;
        return sql.includes('FOR UPDATE') ? [{ id: ID }] : [];
      }),
      getRepository: (entity: unknown) => repos.get(entity),
    } as unknown as EntityManager;
    const dataSource = {
      transaction: jest.fn(async (fn: (m: EntityManager) => Promise<unknown>) => fn(manager)),
    } as unknown as DataSource;
    const visitors = {
      get: jest.fn(async () => ({ id: ID, email, firstName: 'Anne' })),
    } as unknown as VisitorsService;
    const suppressions = {
      suppress: jest.fn(async (...args: unknown[]) => {
        log.push(`suppress ${args[1]} ${args[2]} ${args[3] === manager}`);
      }),
      suppressIdentities: jest.fn(async (...args: unknown[]) => {
        log.push(`suppressIdentities ${JSON.stringify(args[1])} ${args[2]} ${args[3] === manager}`);
      }),
    } as unknown as SuppressionService;
    const events = {
      emitAsync: jest.fn(async (name: string, event: { manager: unknown }) => {
        log.push(`emit ${name} ${event.manager === manager}`);
        return [];
      }),
    } as unknown as EventEmitter2;
    const service = new VisitorPrivacyService(
      dataSource,
      visitors,
      suppressions,
      events,
      new FixedClock(NOW),
    );
    return { service, log, suppressions };
  }

  it('suppresses the address, lets listeners join, then removes identities, consents and PII', async () => {
    const { service, log } = setup('anne@example.org');
    await expect(service.erase(auth, ID)).resolves.toBe(true);
    const at = (prefix: string) => log.findIndex((l) => l.startsWith(prefix));
    expect(at('sql SELECT id')).toBe(0);
    expect(log[at('suppress')]).toBe('suppress anne@example.org erasure true');
    expect(at('suppress')).toBeLessThan(at(`emit ${VisitorEvents.ERASING} true`));
    expect(at('emit')).toBeLessThan(at('identities.delete'));
    expect(at('consents.delete')).toBeGreaterThan(at('emit'));
    expect(log[at('visitors.update')]).toContain('"email":null');
    expect(log[at('visitors.update')]).toContain(`"erasedAt":"${NOW.toISOString()}"`);
    const record = log[at('records.insert')];
    expect(record).toContain('"kind":"ERASURE"');
    expect(record).toContain('"actor":"user:admin"');
    expect(record).not.toContain('anne');
  });

  it('suppresses nothing for a visitor without e-mail', async () => {
    const { service, suppressions } = setup(null);
    await service.erase(auth, ID);
    expect(suppressions.suppress).not.toHaveBeenCalled();
  });

  it('suppresses the social accounts before deleting them, so ingestion never re-creates them', async () => {
    const { service, log, suppressions } = setup(null, [
      { provider: 'TWITTER', external_id: '42', handle: 'anne_x' },
      { provider: 'OTHER', external_id: null, handle: 'anne' },
    ]);
    await service.erase(auth, ID);
    const at = (prefix: string) => log.findIndex((l) => l.startsWith(prefix));
    expect(log[at('suppressIdentities')]).toBe(
      'suppressIdentities [{"provider":"TWITTER","externalId":"42","handle":"anne_x"},' +
        '{"provider":"OTHER","externalId":null,"handle":"anne"}] erasure true',
    );
    expect(at('suppressIdentities')).toBeLessThan(at('identities.delete'));
    expect(suppressions.suppress).not.toHaveBeenCalled();
  });
});
