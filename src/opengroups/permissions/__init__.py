"""Pure permission logic: the catalog, effective permissions and their explanation, who passes
a check, and who may see a group (``share``). No FastAPI, no SQLAlchemy."""

from opengroups.permissions.catalog import (
    BUILTIN_CATALOG,
    OPEN_WEBUI_TREE,
    Catalog,
    CatalogError,
    PermissionTree,
    PermissionTreeError,
    load_catalog,
)
from opengroups.permissions.engine import (
    DEFAULT_SOURCE,
    EffectivePermissions,
    Explanation,
    GroupPermissions,
    effective_keys,
    explain,
)
from opengroups.permissions.policy import Authz, Role, Standing, standing

__all__ = [
    "BUILTIN_CATALOG",
    "DEFAULT_SOURCE",
    "OPEN_WEBUI_TREE",
    "Authz",
    "Catalog",
    "CatalogError",
    "EffectivePermissions",
    "Explanation",
    "GroupPermissions",
    "PermissionTree",
    "PermissionTreeError",
    "Role",
    "Standing",
    "effective_keys",
    "explain",
    "load_catalog",
    "standing",
]
