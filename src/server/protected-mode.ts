// Redis's protected mode (networking.c, clientAcceptHandler): while `protected-mode` is yes and
// the default user has no password (nopass), a connection from anywhere but the loopback
// interface is answered with Redis's explanation and closed, so a node bound beyond loopback by
// mistake does not serve the network unauthenticated.

/** Redis 7.0.15's reply to a refused connection, word for word (its typo included). */
export const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected ' +
  'mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. ' +
  'If you want to connect from external computers to Redis you ' +
  'may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  'by connecting to Redis from the same host the server is ' +
  'running, however MAKE SURE Redis is not publicly accessible ' +
  'from internet if you do so. Use CONFIG REWRITE to make this ' +
  'change permanent. ' +
  '2) Alternatively you can just disable the protected mode by ' +
  'editing the Redis configuration file, and setting the protected ' +
  "mode option to 'no', and then restarting the server. " +
  '3) If you started the server manually just for testing, restart ' +
  "it with the '--protected-mode no' option. " +
  '4) Setup a an authentication password for the default user. ' +
  'NOTE: You only need to do one of the above things in order for ' +
  'the server to start accepting connections from the outside.\r\n';

/**
 * Redis's islocalClient for TCP: the peer is 127.0.0.1 or ::1 exactly (an IPv4 peer of a
 * dual-stack listener shows as ::ffff:127.0.0.1).
 */
export function isLoopbackPeer(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** Whether a new connection from `peer` is refused (then PROTECTED_MODE_DENIED is its reply). */
export function refusedByProtectedMode(protectedMode: boolean, defaultUserNopass: boolean, peer: string | undefined): boolean {
  return protectedMode && defaultUserNopass && !isLoopbackPeer(peer);
}
