// A node's listening sockets: the plain TCP port (`port`) and the TLS port (`tls-port`), both on
// the first bind address, handing every accepted connection to the node. With a tls-port, `port
// 0` turns the plain listener off, as in Redis; without one, `port 0` binds an ephemeral port
// (where Redis would listen on no TCP port at all: tests and tools start nodes that way). The TLS context is rebuilt from the files on a CONFIG SET of a tls-* parameter, so a
// renewed certificate serves the next connection without a restart.
//
// A TLS connection reaches the node after its handshake ('secureConnection'); a handshake that
// fails or never ends (tls.Server's handshakeTimeout) costs the node nothing beyond its socket.

import net from 'node:net';
import tls from 'node:tls';
import { ConfigError, type Config } from './config.js';
import { serverTlsOptions } from './tls-config.js';

/** How long a TLS client may take over its handshake (a slow or silent one is dropped). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export class Listeners {
  private plain: net.Server | null = null;
  private secure: tls.Server | null = null;
  /** TLS handshakes that failed (tls-auth-clients refusals included). */
  tlsHandshakeErrors = 0;

  constructor(
    private readonly config: Config,
    private readonly onSocket: (socket: net.Socket) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** The bound plain port, or 0 when there is none. */
  get port(): number {
    return boundPort(this.plain);
  }

  /** The bound TLS port, or 0 when there is none. */
  get tlsPort(): number {
    return boundPort(this.secure);
  }

  get listening(): boolean {
    return this.plain !== null || this.secure !== null;
  }

  /**
   * The port peers and clients reach the node at: the TLS port when links to it are TLS
   * (tls-cluster in cluster mode, tls-replication otherwise) or when it has no plain port, as
   * Redis announces. Before listening, the configured one.
   */
  announcedPort(clustered: boolean): number {
    const plain = this.port;
    const secure = this.tlsPort;
    if (!this.listening) return this.config.int('port') || this.config.int('tls-port');
    const tlsLinks = this.config.get(clustered ? 'tls-cluster' : 'tls-replication') === true;
    return secure !== 0 && (tlsLinks || plain === 0) ? secure : plain;
  }

  /** Binds what the configuration asks for; throws (ConfigError-worthy message) when it cannot. */
  async listen(): Promise<void> {
    const host = this.config.str('bind').split(' ')[0];
    const port = this.config.int('port');
    const tlsPort = this.config.int('tls-port');
    if (tlsPort !== 0) {
      let options: tls.TlsOptions;
      try {
        options = serverTlsOptions((name) => this.config.get(name));
        tls.createSecureContext(options);
      } catch (err) {
        throw new ConfigError(`Failed to configure TLS: ${(err as Error).message}`);
      }
      const server = tls.createServer({ ...options, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, (socket) => this.acceptSecure(socket));
      server.on('tlsClientError', (err) => {
        this.tlsHandshakeErrors++;
        this.log(`Error accepting a client connection: ${err.message}`);
      });
      await bind(server, tlsPort, host);
      this.secure = server;
    }
    if (port !== 0 || tlsPort === 0) {
      const server = net.createServer({ noDelay: true }, this.onSocket);
      try {
        await bind(server, port, host);
      } catch (err) {
        this.secure?.close();
        this.secure = null;
        throw err;
      }
      this.plain = server;
    }
  }

  private acceptSecure(socket: tls.TLSSocket): void {
    // tls-auth-clients optional: no certificate is fine, a certificate that does not verify is not.
    if (this.config.str('tls-auth-clients') === 'optional' && !socket.authorized && socket.getPeerCertificate()?.raw !== undefined) {
      this.tlsHandshakeErrors++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.onSocket(socket);
  }

  /**
   * Rebuilds the TLS context from the current configuration (after CONFIG SET tls-*). Returns
   * null, or why the new files could not be used (the old context then stays in force).
   */
  reloadTls(): string | null {
    if (this.secure === null) return null;
    try {
      const options = serverTlsOptions((name) => this.config.get(name));
      this.secure.setSecureContext(options);
      // Not part of the context: tls.Server reads these two fields for each new connection.
      const server = this.secure as tls.Server & { requestCert: boolean; rejectUnauthorized: boolean };
      server.requestCert = options.requestCert === true;
      server.rejectUnauthorized = options.rejectUnauthorized === true;
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Whether a TLS context can be built from `get` (CONFIG SET's check before it applies). */
  static tlsError(get: (name: string) => ReturnType<Config['get']>): string | null {
    try {
      tls.createSecureContext(serverTlsOptions(get));
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Stops accepting; resolves once both servers have closed. */
  close(): Promise<void> {
    const all = [this.plain, this.secure].filter((s): s is net.Server => s !== null);
    return Promise.all(all.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
  }
}

function boundPort(server: net.Server | null): number {
  const a = server?.address();
  return a !== null && a !== undefined && typeof a === 'object' ? a.port : 0;
}

function bind(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
