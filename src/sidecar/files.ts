// Names of the sidecar's own files in the data dir, apart from the daemon so that CLI verbs
// can find the control socket without loading the swarm stack.

export const CONTROL_SOCKET = 'control.sock'
export const REPLAY_JOURNAL = 'replay.journal'
