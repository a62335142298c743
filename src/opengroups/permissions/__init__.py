"""Pure permission logic: the catalog and how trees merge. No FastAPI, no SQLAlchemy."""

from opengroups.permissions.catalog import OPEN_WEBUI_CATALOG, PermissionTree
from opengroups.permissions.merge import combine, effective_tree, fill_missing

__all__ = ["OPEN_WEBUI_CATALOG", "PermissionTree", "combine", "effective_tree", "fill_missing"]
