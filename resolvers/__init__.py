"""Attribute resolvers, one module per domain (installed as `ouroboros.resolvers`)."""
