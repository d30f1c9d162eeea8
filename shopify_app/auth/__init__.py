"""Install and authentication: session tokens, token exchange, the OAuth code
grant, stored offline tokens and their refresh. One concern per module."""
