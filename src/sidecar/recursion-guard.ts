// The recursion guard (SECURITY.md "Attack Mitigations"; issue 3 "Recursion guard"): while a
// friend's inject is being handled, nothing started on that async path may send an outbound
// inject — otherwise one friend's message could make this agent inject into another agent,
// whose answer comes back as input here, and so on. AsyncLocalStorage carries the mark
// through every await, timer and callback the handler starts, and nowhere else.

import { AsyncLocalStorage } from 'node:async_hooks'

export class RecursionGuard {
  private readonly handling = new AsyncLocalStorage<{ peer: string }>()

  /** Run `fn` (the handling of `peer`'s inject) with the path marked. */
  whileHandlingInject<T>(peer: string, fn: () => Promise<T>): Promise<T> {
    return this.handling.run({ peer }, fn)
  }

  /** The peer whose inject the current async path is handling, or null when it is not handling one. */
  handlingInjectOf(): string | null {
    return this.handling.getStore()?.peer ?? null
  }
}
