"""Shopify Admin GraphQL API: the client (client.py), its typed errors
(errors.py) and every document the app sends (queries.py)."""
from .client import REQUEST_MAX_WAIT, AdminApiClient, Bucket, Stats, for_shop
from .errors import (AdminApiError, AuthenticationError, GraphQLErrors, ThrottledError, TransientError, UserError,
                     UserErrors)

__all__ = ["REQUEST_MAX_WAIT", "AdminApiClient", "Bucket", "Stats", "for_shop", "AdminApiError", "AuthenticationError",
           "GraphQLErrors", "ThrottledError", "TransientError", "UserError", "UserErrors"]
