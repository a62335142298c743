"""LDAP directory sync (membership source ``ldap``) and LDAP password sign-in.

``directory`` reads the directory (blocking, with ldap3: run it in a worker thread), whole or
not at all; ``nesting`` expands nested groups; ``sync`` applies a full read in one transaction;
``signin`` signs a user in by a bind and syncs that user's groups. ``docs/ldap.md`` says how to
connect OpenLDAP and Active Directory.
"""
