// Claiming a unix socket path for a listener (control socket, Docker proxy,
// WOPR relay): a socket file left by a crashed run is removed, but a live
// listener or anything that is not a socket is refused, never clobbered; the
// socket is owner-only from birth and only then given its final mode.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs'
import { connect, type Server } from 'node:net'
import { WoprP2PError } from '../reasons.ts'

async function clearStaleSocket(path: string, hint: string): Promise<void> {
  let isSocket: boolean
  try {
    isSocket = lstatSync(path).isSocket()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!isSocket) throw new WoprP2PError('IO', `${path} exists and is not a socket`, hint)
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (alive) throw new WoprP2PError('IO', `another process is already listening on ${path}`, 'stop it first, or choose another path')
  unlinkSync(path)
}

/** Claim `path` and listen on it; created under a 0177 umask, so no instant exists at which others could connect. */
export async function listenOnUnixSocket(server: Server, path: string, o: { mode: number; hint: string }): Promise<void> {
  await clearStaleSocket(path, o.hint)
  const previous = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } finally {
    process.umask(previous)
  }
  chmodSync(path, o.mode)
}
