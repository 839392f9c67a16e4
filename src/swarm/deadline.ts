// Time bounds for the swarm layer (DESIGN.md "Bounded everything"): race a promise
// against a timer that is always cleared, so no bound leaves a timer behind to hold
// the process open.

export const TIMED_OUT = Symbol('timed out')

/** The promise's value, or TIMED_OUT if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
