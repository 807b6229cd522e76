"""People on a shared server: accounts, roles, the links between a clinician and an athlete, and who may do what.

Pure: the rules (``rules.toml``) and the decisions over them (``policy``); storing accounts is ``services.accounts``.
"""
