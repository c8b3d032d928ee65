"""Operator tooling: migrations, database roles, credentials, the local stack, SAM support.

Not shipped to Lambda; the functions only carry ``avcore``.
"""
