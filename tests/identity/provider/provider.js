// The OpenID Connect provider the tests sign in through: the certified
// `oidc-provider` package, on loopback, with its built-in login page
// (devInteractions: any password is accepted for a known login).
//
//   PORT=54321 REDIRECT_URIS=http://127.0.0.1:8000/oidc/callback/ node provider.js
//
// It prints "listening <issuer>" once it answers. The accounts below carry a
// `groups` claim, released with the `groups` scope (in userinfo).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const redirectUris = (process.env.REDIRECT_URIS || '').split(',').filter(Boolean);

const CLIENT_ID = process.env.CLIENT_ID || 'stagegate';
const CLIENT_SECRET = process.env.CLIENT_SECRET || 'stagegate-test-secret';

const accounts = {
  'sso-lead': {
    email: 'sso-lead@example.com',
    given_name: 'Lena',
    family_name: 'Lead',
    groups: ['stagegate-program-leads', 'bu-claims'],
  },
  'sso-exec': {
    email: 'sso-exec@example.com',
    given_name: 'Emil',
    family_name: 'Exec',
    groups: ['stagegate-executives'],
  },
  'sso-nobody': {
    email: 'sso-nobody@example.com',
    given_name: 'Nora',
    family_name: 'Nobody',
    groups: [],
  },
};

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'given_name', 'family_name', 'name'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          email_verified: true,
          name: `${account.given_name} ${account.family_name}`,
          ...account,
        };
      },
    };
  },
  // A first-party client: no consent page, as an enterprise IdP would set it.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'preferred_username',
      'given_name', 'family_name', 'name', 'groups']);
    await grant.save();
    return grant;
  },
  cookies: { keys: ['stagegate-test-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
};

const provider = new Provider(issuer, configuration);
const server = provider.listen(port, host, () => {
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
