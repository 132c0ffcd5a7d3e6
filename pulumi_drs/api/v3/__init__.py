"""DRS API v3: its wire models (`wire`) and its client (`client`), behind the version seam of `api.base`."""
