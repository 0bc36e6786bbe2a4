"""Event contracts: the CloudEvents envelope, the payload models and the catalogue."""
