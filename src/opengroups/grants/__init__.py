"""Resource access grants: who may read or write another application's resources."""
