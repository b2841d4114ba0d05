/**
 * Who opened a connection with a token (API.md v1.2: `me` needs a connection opened with one).
 * Written at `$connect`, read at `subscribe me`: API Gateway hands later events the connection id
 * only, so the verified user is kept beside the connection's other registrations.
 */
export interface ConnectionUsers {
  remember(connectionId: string, userId: string, expiresAt: number): Promise<void>;
  /** null for an anonymous connection (or one whose registration is gone). */
  userOf(connectionId: string): Promise<string | null>;
  forget(connectionId: string): Promise<void>;
}
