// Addresses: the host to give others for a process listening on a bind address.

/** A wildcard bind (0.0.0.0, ::, *) is not an address anyone can reach: loopback stands in. */
export function reachableHost(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' || bind === '*' ? '127.0.0.1' : bind;
}
