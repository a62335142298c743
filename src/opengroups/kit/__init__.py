"""Infrastructure below every domain: the database and each transaction's context, SQL
helpers, locks, ETags, middleware, migrations. Nothing here imports a domain package."""
