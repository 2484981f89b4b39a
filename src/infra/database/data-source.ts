import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations/index.js';
import { AdvisoryLock, withAdvisoryLock } from './advisory-lock.js';
import { entities } from './entities.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

export function dataSourceOptions(url: string, extra: Partial<DataSourceOptions> = {}) {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL >= 13 and PGlite: no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    extra: { max: 10, application_name: 'escale' },
    ...extra,
  } as DataSourceOptions;
}

export function createDataSource(url: string, extra: Partial<DataSourceOptions> = {}) {
  return new DataSource(dataSourceOptions(url, extra));
}

/** Runs pending migrations once, even when several processes boot together. */
export function runMigrations(dataSource: DataSource): Promise<string[]> {
  return withAdvisoryLock(dataSource, AdvisoryLock.MIGRATIONS, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  });
}
