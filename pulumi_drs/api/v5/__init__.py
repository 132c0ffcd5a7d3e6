"""DRS API v5 (public beta in some regions): its wire models (`wire`) and client (`client`)."""
