"""The API routers, one per concern."""
