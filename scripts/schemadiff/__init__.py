"""One comparison of two API descriptions, for the API change report and upstream-diff."""
