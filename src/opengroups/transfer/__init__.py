"""Moving groups between instances: single-group export with provenance, bundle export and
import with a dry-run plan, Open WebUI exports, and CSV member import."""
