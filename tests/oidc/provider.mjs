// A real, independent OpenID Connect provider (panva's `oidc-provider`) for
// the gateway's end-to-end test, tests/tests/oidc_e2e.rs.
//
//   node provider.mjs [PORT]        (or PORT=...; 0 or absent: any free port)
//
// Listens on 127.0.0.1 and prints `LISTENING http://127.0.0.1:PORT` (the
// issuer) as its first line on stdout. It knows one confidential client that
// may use the client_credentials grant; its access tokens are JWTs for one
// resource server (RFC 8707 resource indicator) whose `aud` is the gateway's
// audience, signed with an RS256 key made at start and published at the
// provider's jwks_uri. Exits when stdin closes or on SIGTERM/SIGINT, so
// whoever started it can always clean it up.
//
// Environment (all optional):
//   CLIENT_ID       default `samverkan-e2e`
//   CLIENT_SECRET   default `samverkan-e2e-secret`
//   AUDIENCE        the access tokens' `aud`; default `samverkan-gateway`
//   RESOURCE        the resource indicator; default `urn:samverkan:gateway`

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const clientId = process.env.CLIENT_ID || 'samverkan-e2e';
const clientSecret = process.env.CLIENT_SECRET || 'samverkan-e2e-secret';
const audience = process.env.AUDIENCE || 'samverkan-gateway';
const resource = process.env.RESOURCE || 'urn:samverkan:gateway';

// Exit when the parent goes away (stdin closes) or asks us to.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));

// A fresh signing key per run; only its public half is served at jwks_uri.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'RS256',
  use: 'sig',
};

// Bind first: the issuer must carry the port the OS chose.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    devInteractions: { enabled: false }, // no browser flows here
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A token request without `resource` gets the gateway's anyway.
      defaultResource: () => resource,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget();
        return {
          audience,
          scope: '', // no scopes: the gateway reads roles, not scopes, here
          accessTokenFormat: 'jwt',
          accessTokenTTL: 10 * 60,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // What the gateway reads besides `sub` (= client_id for this grant).
  extraTokenClaims: () => ({ roles: ['officer'] }),
});

server.on('request', provider.callback());
console.log(`LISTENING ${issuer}`);
