// Reading WOPR's bearer token from its mounted file (WOPR-API.md "Transport and auth":
// $WOPR_HOME/daemon-token, 64 hex, mode 0600). Read per request so a token WOPR creates
// or replaces later is picked up; nothing here ever puts the token in a message.

import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { WoprError } from './errors.ts'

/** WOPR writes randomBytes(32) as hex and trims what it reads; so do we. */
const TOKEN = /^[0-9a-fA-F]{64}$/
/** A real token file is 64 bytes; anything much larger is not one and is not read into memory. */
const MAX_TOKEN_FILE_BYTES = 1024

export async function readTokenFile(path: string): Promise<string> {
  let handle
  try {
    // O_NONBLOCK keeps a FIFO planted at the path from hanging us. Symlinks are followed: secret mounts use them.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const hint = code === 'ENOENT' ? 'WOPR creates it on first start; check the mounted token file path' : 'make the token file readable by the sidecar user'
    throw new WoprError('WOPR_TOKEN_FILE', `cannot open WOPR token file ${path} (${code ?? 'error'})`, { hint })
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new WoprError('WOPR_TOKEN_FILE', `WOPR token file ${path} is not a regular file`)
    // Group access is allowed (a shared group is how a second uid reads it); others never: the token is owner trust over WOPR.
    if ((st.mode & 0o007) !== 0) {
      throw new WoprError('WOPR_TOKEN_FILE', `WOPR token file ${path} is accessible to others`, { hint: `chmod o-rwx ${path}` })
    }
    if (st.size > MAX_TOKEN_FILE_BYTES) throw new WoprError('WOPR_TOKEN_FILE', `WOPR token file ${path} is ${st.size} bytes, not a 64-hex token`)
    const token = (await handle.readFile('utf8')).trim()
    // The content is never echoed: a near-miss could still be most of the real token.
    if (!TOKEN.test(token)) throw new WoprError('WOPR_TOKEN_FILE', `WOPR token file ${path} does not hold 64 hex characters`)
    return token
  } finally {
    await handle.close()
  }
}
