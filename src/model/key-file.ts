// The model API key, read from model.apiKeyFile (a mounted secret). It lives only in
// the sidecar's memory and its Authorization header: never logged, never in an error
// message, never in anything sent to a sandbox.

import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { WoprP2PError } from '../reasons.ts'

/** Any real API key is far shorter; a bigger file is not one and is not read into memory. */
const MAX_KEY_FILE_BYTES = 4096

export async function readApiKeyFile(path: string): Promise<string> {
  let handle
  try {
    // O_NONBLOCK: a FIFO planted at the path cannot hang the sidecar's start.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    throw new WoprP2PError('MODEL_KEY_FILE', `cannot open model API key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check model.apiKeyFile and the secret mount')
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new WoprP2PError('MODEL_KEY_FILE', `model API key file ${path} is not a regular file`)
    if (st.size > MAX_KEY_FILE_BYTES) throw new WoprP2PError('MODEL_KEY_FILE', `model API key file ${path} is larger than ${MAX_KEY_FILE_BYTES} bytes`)
    const key = (await handle.readFile('utf8')).trim()
    // Header-safe or nothing: a key with a newline could split the request's headers.
    if (!/^[\x21-\x7e]+$/.test(key)) throw new WoprP2PError('MODEL_KEY_FILE', `model API key file ${path} is empty or holds characters a bearer token cannot`)
    return key
  } finally {
    await handle.close()
  }
}
