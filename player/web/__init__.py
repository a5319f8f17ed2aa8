"""The response pipeline: errors, conditional answers, streaming, security headers,
assets, page language and publisher sign-in."""
