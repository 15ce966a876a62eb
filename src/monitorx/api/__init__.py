"""The HTTP server: FastAPI routers over the services."""
