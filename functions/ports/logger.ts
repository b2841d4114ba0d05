/** The little the use cases need of a logger; Powertools' Logger satisfies it. */
export interface LogSink {
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}
