import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { AppError, ErrorCode } from '../../common/errors/app-error.js';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';

/**
 * Brute-force protection for `login`: failed attempts are counted per email and per client IP in
 * PostgreSQL (table rate_limits, rate-limiter-flexible), so every API process sees the same counts.
 */
@Injectable()
export class LoginRateLimiter {
  private readonly byEmail: RateLimiterPostgres;
  private readonly byIp: RateLimiterPostgres;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const pool = (dataSource.driver as unknown as { master: unknown }).master;
    const common = {
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
    };
    const { maxFailures, windowSeconds } = config.login;
    this.byEmail = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login-email',
      points: maxFailures,
      duration: windowSeconds,
    });
    // One address may serve a whole office (NAT): allow it several people's worth of typos.
    this.byIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login-ip',
      points: maxFailures * 4,
      duration: windowSeconds,
    });
  }

  /** Refuses with RATE_LIMITED while either counter is spent. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [e, i] = await Promise.all([this.byEmail.get(email), this.byIp.get(ip)]);
    const blocked = [
      e && e.consumedPoints >= this.byEmail.points ? e : null,
      i && i.consumedPoints >= this.byIp.points ? i : null,
    ].filter((r): r is RateLimiterRes => r !== null);
    if (blocked.length) {
      const retryAfterSeconds = Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000);
      throw new AppError(ErrorCode.RATE_LIMITED, 'Too many failed logins; try again later', {
        retryAfterSeconds,
      });
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const spend = (limiter: RateLimiterPostgres, key: string) =>
      limiter.consume(key).catch((r: unknown) => {
        if (!(r instanceof RateLimiterRes)) throw r; // spent already: nothing more to count
      });
    await Promise.all([spend(this.byEmail, email), spend(this.byIp, ip)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.byEmail.delete(email);
  }

  /** Deletes spent counters whose window has passed; returns how many. */
  async purgeExpired(): Promise<number> {
    // For a DELETE, TypeORM's query() answers [rows, affected count].
    const [, deleted]: [unknown[], number] = await this.dataSource.query(
      'DELETE FROM rate_limits WHERE expire IS NOT NULL AND expire < $1',
      [Date.now()],
    );
    return deleted;
  }
}
