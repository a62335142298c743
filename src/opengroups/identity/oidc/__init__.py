"""OpenID Connect sign-in (authorization code with PKCE) and group sync from a claim."""
