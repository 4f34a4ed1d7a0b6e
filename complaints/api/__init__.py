"""The complaints part of the integration API (``/api/v1/complaints/...``)."""
