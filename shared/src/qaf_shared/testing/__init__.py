"""Test support for the services' tests: real PostgreSQL databases and Kafka topics made per
test run, tokens, apps run in-process or as real subprocesses (to be killed)."""
