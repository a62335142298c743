"""The audit trail: every change, who made it and from where, before and after; it is also the
change feed that applications follow to keep their own caches exact."""
