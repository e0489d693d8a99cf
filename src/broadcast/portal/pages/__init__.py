"""The portal's pages, one module per kind: sign-in, the operator's day, the department's dashboard."""
