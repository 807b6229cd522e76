"""The one place where the pure domains meet the store; the CLI and web app call only this layer."""
