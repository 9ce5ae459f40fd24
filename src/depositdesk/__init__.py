"""depositdesk: security deposits and shop offboarding for marketplaces."""
