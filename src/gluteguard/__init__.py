"""gluteguard: keeps runners who sit all day clear of gluteal tendinopathy, and helps them recover."""

__version__ = "0.1.0"
