"""Every way in: the FastAPI service, its web pages and the Typer CLI."""
