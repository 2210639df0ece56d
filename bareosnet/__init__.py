"""bareosnet: the Bareos wire protocol in Python (sans-IO core, trio transport)."""
