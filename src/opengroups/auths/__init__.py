"""Sign-up, sign-in, tokens and API keys."""
