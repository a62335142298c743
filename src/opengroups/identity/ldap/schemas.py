"""The LDAP sign-in's body, as Open WebUI 0.12.4's ``POST /api/v1/auths/ldap`` takes it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from opengroups.schemas_common import Password


class LdapSigninForm(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"user": "ada", "password": "correct horse battery"}]}
    )

    # The entry's id (``user_id_attribute``, uid) or e-mail.
    user: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
    password: Password
