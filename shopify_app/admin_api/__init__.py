"""Shopify Admin GraphQL API: the client (client.py), its typed errors
(errors.py) and every document the app sends (queries.py)."""
from .client import AdminApiClient, Bucket, Stats, for_shop
from .errors import (AdminApiError, AuthenticationError, GraphQLErrors, ThrottledError, TransientError, UserError,
                     UserErrors)

__all__ = ["AdminApiClient", "Bucket", "Stats", "for_shop", "AdminApiError", "AuthenticationError",
           "GraphQLErrors", "ThrottledError", "TransientError", "UserError", "UserErrors"]
