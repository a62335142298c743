"""SCIM 2.0 provisioning (RFC 7643, RFC 7644): users and groups for identity providers."""
