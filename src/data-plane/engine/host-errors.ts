export type StopReason = 'deadline' | 'slow' | 'shutdown';

/** Why a host went away; pending requests are rejected with it and the pool decides what to retry. */
export class HostGone extends Error {
  override name = 'HostGone';
  constructor(
    /** Set when the node stopped the host itself: a deadline passed, an evaluation was slow, shutdown. */
    readonly stoppedFor: StopReason | undefined,
    readonly exit: string,
  ) {
    super(stoppedFor ? `engine host stopped (${stoppedFor})` : `engine host exited unexpectedly (${exit})`);
  }
}

/** An error the engine answered with (its message, as zen-engine words it). */
export class EngineFailure extends Error {
  override name = 'EngineFailure';
}
