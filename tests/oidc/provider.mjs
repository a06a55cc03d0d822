// A real OpenID Connect provider for the single sign-on tests (node's oidc-provider, its
// development login pages): node tests/oidc/provider.mjs PORT REDIRECT_URI.
// Users: mia (group klachten-team), eva (no group of ours).
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
const users = {
  mia: { email: "mia@ziekenfonds.example", groups: ["klachten-team", "kantine"] },
  eva: { email: "eva@ziekenfonds.example", groups: ["kantine"] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: "klachten",
    client_secret: "een-geheim-van-de-test",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  claims: { openid: ["sub"], profile: ["preferred_username"], email: ["email"],
            groups: ["groups"] },
  scopes: ["openid", "profile", "email", "groups"],
  conformIdTokenClaims: false,  // the claims in the ID token too
  pkce: { required: () => false },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["sleutel-van-de-test"] },
  async findAccount(ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: `sub-${id}`, preferred_username: id, email: user.email,
                 groups: user.groups };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
