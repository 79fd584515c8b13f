// A real OpenID Provider (panva/oidc-provider) for the test suite, on 127.0.0.1.
//
// Environment:
//   OIDC_TEST_KEYS_FILE  JSON Web Key Set with the private signing keys (made by the tests)
//   OIDC_TEST_AUDIENCE   the API's resource indicator; access tokens are JWTs for it
//   OIDC_TEST_REDIRECT_URIS  space-separated callback URLs of the browser client (optional)
//   OIDC_TEST_PORT       port to bind; 0 (default) takes a free one
// Prints one JSON line {"issuer": ...} on stdout once it listens.
// POST /__test__/reload re-reads the keys file (a key rotation); GET /__test__/stats says how
// many times the JWKS was fetched, so the tests can see the API's cache at work.
import { readFileSync } from "node:fs";
import http from "node:http";

import Provider, { errors } from "oidc-provider";

const keysFile = process.env.OIDC_TEST_KEYS_FILE;
const audience = process.env.OIDC_TEST_AUDIENCE;
const redirectUris = (process.env.OIDC_TEST_REDIRECT_URIS || "").split(" ").filter(Boolean);
const apiScopes = "customers:read customers:write orders:read orders:write";
// SMART on FHIR system scopes (v2 and v1 forms) for the FHIR facade's tests.
const smartScopes = [
  "system/Patient.rs",
  "system/MedicationRequest.rs",
  "system/MedicationDispense.rs",
  "system/Communication.rs",
  "system/*.rs",
  "system/Patient.read",
  "system/*.read",
].join(" ");

let jwksRequests = 0;
let provider;

function build(issuer) {
  const jwks = JSON.parse(readFileSync(keysFile, "utf8"));
  const clients = [
    {
      client_id: "api-full",
      client_secret: "api-full-secret",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: apiScopes,
    },
    {
      client_id: "api-read-only",
      client_secret: "api-read-only-secret",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: "customers:read orders:read",
    },
    {
      client_id: "fhir-system",
      client_secret: "fhir-system-secret",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: smartScopes,
    },
  ];
  if (redirectUris.length) {
    clients.push({
      client_id: "browser",
      client_secret: "browser-secret",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: redirectUris,
      token_endpoint_auth_method: "client_secret_basic",
    });
  }
  const signingAlg = jwks.keys[0].alg;
  const next = new Provider(issuer, {
    clients,
    jwks,
    scopes: ["openid", "email", ...apiScopes.split(" "), ...smartScopes.split(" ")],
    claims: { openid: ["sub"], email: ["email"] },
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@example.test` }),
    }),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => {
          if (resourceIndicator !== audience) throw new errors.InvalidTarget();
          return {
            scope: `${apiScopes} ${smartScopes}`,
            audience,
            accessTokenTTL: 600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: signingAlg } },
          };
        },
      },
    },
    pkce: { required: () => true },
    cookies: { keys: ["test-only-cookie-key"] },
  });
  next.on("server_error", (ctx, err) => console.error("server_error", err));
  return next;
}

const server = http.createServer((req, res) => {
  if (req.url === "/__test__/reload" && req.method === "POST") {
    provider = build(provider.issuer);
    res.writeHead(204).end();
    return;
  }
  if (req.url === "/__test__/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ jwks_requests: jwksRequests }));
    return;
  }
  if (req.url.startsWith("/jwks")) jwksRequests += 1;
  provider.callback()(req, res);
});

server.listen(Number(process.env.OIDC_TEST_PORT || 0), "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = build(issuer);
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
