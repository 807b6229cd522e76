"""The ``gluteguard`` command line: thin commands over the services layer."""
