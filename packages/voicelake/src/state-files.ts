/**
 * The private-file toolkit, as a deliberate subpath (`voicelake/state-files`), for state kept
 * beside the spool by another voicelake package (the collector's pending calls, and the lock that
 * keeps its state directory to one collector): directories 0700, files 0600 created exclusively,
 * symlinks never followed.
 */

export { stateDir } from './paths.js';
export { ensurePrivateTree, openAppend, openNew, readPrivate, syncDir } from './private-fs.js';
export { HEARTBEAT_MS, readLockOwner } from './spool/lock.js';
export { acquireLock } from './spool/lock-acquire.js';
