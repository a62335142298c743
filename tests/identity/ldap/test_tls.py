"""LDAPS and StartTLS against a real slapd with its own certificate authority: certificates are
always verified, so a directory whose certificate the configured authorities do not vouch for
is unavailable, and nothing changes."""

from __future__ import annotations

from opengroups.identity.ldap.sync import full_sync
from tests.identity.ldap.conftest import (
    StartLdap,
    add_tree,
    fresh_tree,
    ldap_config,
    ldap_memberships,
)
from tests.identity.ldap.data import Tree
from tests.identity.ldap.slapd import Slapd


def tree_of_two() -> Tree:
    tree = fresh_tree("tls")
    tree.add_user("ann")
    tree.add_user("ben")
    tree.add_group("secure", {"ann", "ben"})
    return tree


async def test_ldaps_and_starttls_with_the_directorys_authority(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, tree_of_two())
    for config in (
        ldap_config(slapd.ldaps_url, tree, ca_certificates=str(slapd.ca)),
        ldap_config(slapd, tree, start_tls=True, ca_certificates=str(slapd.ca)),
    ):
        env = await start_ldap(config)
        report = await full_sync(env.database, env.runtime)
        assert report.problem is None, report.problem
        held = await ldap_memberships(env.database)
        assert len(held["secure"]) == 2


async def test_a_certificate_no_trusted_authority_signed_changes_nothing(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, tree_of_two())
    for config in (
        ldap_config(slapd.ldaps_url, tree),
        ldap_config(slapd, tree, start_tls=True),
    ):
        env = await start_ldap(config)
        report = await full_sync(env.database, env.runtime)
        assert report.problem is not None
        assert "certificate" in report.problem.lower() or "ssl" in report.problem.lower()
        assert await ldap_memberships(env.database) == {}
