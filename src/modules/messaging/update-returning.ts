import type { DataSource, EntityManager } from 'typeorm';

/**
 * Rows of an `UPDATE ... RETURNING`: TypeORM's PostgreSQL driver answers UPDATE and DELETE with
 * `[rows, affectedCount]` (INSERT and SELECT with the rows alone).
 */
export async function updateReturning<T>(
  runner: DataSource | EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const result: unknown = await runner.query(sql, params);
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}
