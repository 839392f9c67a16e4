// Minimal typings for the sodium-native functions this project uses (the package ships none).
declare module 'sodium-native' {
  export const crypto_sign_PUBLICKEYBYTES: number
  export const crypto_sign_SECRETKEYBYTES: number
  export const crypto_sign_SEEDBYTES: number
  export const crypto_sign_BYTES: number
  export const crypto_scalarmult_BYTES: number
  export const crypto_scalarmult_SCALARBYTES: number
  export function crypto_sign_keypair(pk: Buffer, sk: Buffer): void
  export function crypto_sign_seed_keypair(pk: Buffer, sk: Buffer, seed: Buffer): void
  export function crypto_sign_detached(sig: Buffer, m: Buffer, sk: Buffer): void
  export function crypto_sign_verify_detached(sig: Buffer, m: Buffer, pk: Buffer): boolean
  export function crypto_scalarmult(q: Buffer, n: Buffer, p: Buffer): void
  export function crypto_scalarmult_base(q: Buffer, n: Buffer): void
  export function randombytes_buf(buf: Buffer): void
  export function sodium_memzero(buf: Buffer): void
  const sodium: {
    crypto_sign_PUBLICKEYBYTES: number
    crypto_sign_SECRETKEYBYTES: number
    crypto_sign_SEEDBYTES: number
    crypto_sign_BYTES: number
    crypto_scalarmult_BYTES: number
    crypto_scalarmult_SCALARBYTES: number
    crypto_sign_keypair: typeof crypto_sign_keypair
    crypto_sign_seed_keypair: typeof crypto_sign_seed_keypair
    crypto_sign_detached: typeof crypto_sign_detached
    crypto_sign_verify_detached: typeof crypto_sign_verify_detached
    crypto_scalarmult: typeof crypto_scalarmult
    crypto_scalarmult_base: typeof crypto_scalarmult_base
    randombytes_buf: typeof randombytes_buf
    sodium_memzero: typeof sodium_memzero
  }
  export default sodium
}
