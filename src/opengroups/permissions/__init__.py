"""Pure permission logic: the catalog, effective permissions and their explanation.
No FastAPI, no SQLAlchemy."""

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
    Explanation,
    GroupPermissions,
    effective_keys,
    explain,
)

__all__ = [
    "BUILTIN_CATALOG",
    "DEFAULT_SOURCE",
    "OPEN_WEBUI_TREE",
    "Catalog",
    "CatalogError",
    "Explanation",
    "GroupPermissions",
    "PermissionTree",
    "PermissionTreeError",
    "effective_keys",
    "explain",
    "load_catalog",
]
