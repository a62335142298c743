"""Identity providers: sign-in through OpenID Connect, LDAP or a trusted proxy's headers, and
the sync of the groups they report, each holding its own memberships."""
