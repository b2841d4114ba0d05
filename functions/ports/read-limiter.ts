/** Who asks for a read: the source address of an anonymous caller, else the signed-in user. */
export interface ReadCaller {
  kind: 'ip' | 'user';
  id: string;
}

/**
 * A per-caller budget for expensive public reads, counted where it costs the caller (their own
 * counter) before the entity is read.
 */
export interface ReadLimiter {
  /** Counts one read: 0 when admitted, else the ms until the caller's window ends. */
  admit(caller: ReadCaller): Promise<number>;
}
