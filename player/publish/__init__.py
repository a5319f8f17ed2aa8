"""Publishing: the publisher pages and API, and receiving uploads."""
