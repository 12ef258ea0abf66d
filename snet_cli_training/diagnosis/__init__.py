"""`snet training doctor`'s checks: the report's shape and the pure rules that turn gathered facts into checks."""
