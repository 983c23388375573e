// Package sealed keeps secrets (webhook signing secrets, today) out of the
// event log. The log is append-only and copied into every backup and
// export, so a secret written there could never be removed; events refer
// to a secret by its id and fingerprint instead, and the secret itself
// lives here, sealed with NaCl secretbox under a key kept in a separate
// file.
//
// The store is one small file, rewritten whole on every change: a fresh
// nonce seals the entire list, the result goes to <path>.tmp, is synced and
// renamed over <path>, and the directory is synced. A crash leaves either
// the old file or the new one. Because the whole file is replaced, a
// deleted secret is in no byte of the store file afterwards, sealed or not
// (bbolt, by contrast, only frees a deleted value's page: its bytes stay in
// the file until the page is reused or the file is compacted, which is why
// this store is not a bbolt file). What a file system or an SSD keeps of
// the old file's blocks, and backups taken before the deletion, are beyond
// the store's reach: both still need the key file to open.
//
// The key file holds 32 random bytes, is created with mode 0600, and is
// refused when group or others may read it. Lose it and the secrets are
// lost: the store is never re-keyed silently.
package sealed
