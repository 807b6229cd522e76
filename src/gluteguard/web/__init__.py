"""The local web app: a JSON API under /api/v1 and the pages a runner uses, on the same service layer as the CLI."""
