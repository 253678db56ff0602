"""A few shared looks, so that every screen shows errors and warnings the same way."""

ERROR_STYLE = "color: #b00020;"
UNENCRYPTED_STYLE = "color: white; background: #b00020; font-weight: bold; padding: 0 6px;"
