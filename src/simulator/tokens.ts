/** Access tokens `POST /token` issued (OpenAPI createApplicationAccessToken), with their expiry. */
import { randomBytes } from 'node:crypto';

export type TokenCheck = 'valid' | 'expired' | 'unknown';

export class AccessTokens {
  private readonly expiries = new Map<string, number>();

  issue(nowMs: number, lifetimeSec: number): string {
    const token = randomBytes(36).toString('base64url');
    this.expiries.set(token, nowMs + lifetimeSec * 1000);
    return token;
  }

  check(token: string, nowMs: number): TokenCheck {
    const expiresAt = this.expiries.get(token);
    if (expiresAt === undefined) {
      return 'unknown';
    }
    return nowMs < expiresAt ? 'valid' : 'expired';
  }
}
